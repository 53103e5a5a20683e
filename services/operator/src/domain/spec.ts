import { z } from 'zod';
import type { JsonObject } from './types';

/**
 * `spec` of a TelemetryPipeline: the same rules and defaults as the CRD's openAPIV3Schema (the API server
 * applies those first), checked again here so the core never trusts what it reads, plus the cross-field
 * rules. Connection details are secret references only: a literal broker list or URL cannot be written.
 */
const secretKeyRef = z.object({ name: z.string().min(1), key: z.string().min(1) }).strict();
const quantity = z.union([z.string(), z.number()]);
const resources = z
  .object({
    requests: z.record(z.string(), quantity).optional(),
    limits: z.record(z.string(), quantity).optional(),
  })
  .strict();
const replicas = (fallback: number) => z.number().int().min(0).max(1000).default(fallback);

const specSchema = z
  .object({
    image: z
      .object({
        registry: z.string().min(1).default('ghcr.io/telemetry-pulse'),
        // The release this operator belongs to, as the chart's appVersion: never a moving `latest`.
        tag: z.string().min(1).default('0.1.0'),
        pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
      })
      .strict()
      .prefault({}),
    kafka: z
      .object({
        brokersFrom: secretKeyRef,
        saslMechanism: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'),
        usernameFrom: secretKeyRef.optional(),
        passwordFrom: secretKeyRef.optional(),
        tls: z.enum(['auto', 'true', 'false']).default('auto'),
        // PEM from Secrets (Strimzi's <cluster>-cluster-ca-cert ca.crt, a KafkaUser's user.crt/user.key),
        // passed to the pods as KAFKA_SSL_CA / KAFKA_SSL_CERT / KAFKA_SSL_KEY.
        caFrom: secretKeyRef.optional(),
        certFrom: secretKeyRef.optional(),
        keyFrom: secretKeyRef.optional(),
      })
      .strict(),
    database: z.object({ urlFrom: secretKeyRef }).strict(),
    topic: z
      .object({
        name: z.string().min(1).max(249).default('telemetry.events'),
        partitions: z.number().int().min(1).max(1024).default(6),
      })
      .strict()
      .prefault({}),
    simulator: z
      .object({
        enabled: z.boolean().default(false),
        rate: z.number().min(0).max(100_000).default(50),
        resources: resources.optional(),
      })
      .strict()
      .prefault({}),
    processor: z
      .object({
        groupId: z.string().min(1).default('telemetry-processor'),
        minReplicas: replicas(1),
        maxReplicas: replicas(6),
        targetLagPerReplica: z.number().int().min(1).default(1000),
        scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300),
        autoscaler: z.enum(['operator', 'keda']).default('operator'),
        resources: resources.optional(),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        replicas: replicas(1),
        service: z
          .object({
            type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
            port: z.number().int().min(1).max(65535).default(8080),
          })
          .strict()
          .prefault({}),
        resources: resources.optional(),
        // API_KEYS (who may acknowledge and resolve alerts) and API_INGEST_KEYS (who may send readings over
        // HTTP): name:sha256hex lists (docs/api.md), from Secrets like every other credential.
        keysFrom: secretKeyRef.optional(),
        ingestKeysFrom: secretKeyRef.optional(),
      })
      .strict()
      .prefault({}),
    alertRules: z
      .array(z.looseObject({ kind: z.enum(['threshold', 'silence']), id: z.string().min(1) }))
      .optional(),
    // The processor's NOTIFICATIONS_CONFIG (docs/notifications.md), validated in full by the processor at
    // start; secrets come from Secrets as the variables the channels name (`secret_env`, and an e-mail
    // channel's `smtp.username_env` and `smtp.password_env`).
    notifications: z
      .object({
        config: z.looseObject({
          channels: z
            .array(
              z.looseObject({
                name: z.string().min(1),
                type: z.string().min(1),
                secret_env: z.string().optional(),
                smtp: z
                  .looseObject({ username_env: z.string().optional(), password_env: z.string().optional() })
                  .optional(),
              }),
            )
            .min(1),
        }),
        secretEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), secretKeyRef).default({}),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Variables the operator sets itself: a notification secret may not take one of their names. */
const MANAGED_ENV = /^(KAFKA_|DATABASE_|PROCESSOR_|ALERT_RULES_FILE$|NOTIFICATIONS_CONFIG$|OTEL_|NODE_)/;

export type PipelineSpec = z.output<typeof specSchema>;
export type SecretKeyRef = z.output<typeof secretKeyRef>;
export type ResourceRequirements = z.output<typeof resources>;

export type ParsedSpec = { ok: true; spec: PipelineSpec } | { ok: false; problems: string[] };

/** Applies the defaults and checks every rule; never throws. Problems name the field (`processor.maxReplicas`). */
export function parseSpec(raw: unknown): ParsedSpec {
  const result = specSchema.safeParse(raw ?? {});
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((i) => `${i.path.map(String).join('.') || 'spec'}: ${i.message}`),
    };
  }
  const spec = result.data;
  const problems: string[] = [];
  if (spec.processor.minReplicas > spec.processor.maxReplicas) {
    problems.push('processor.minReplicas must not exceed processor.maxReplicas');
  }
  const { saslMechanism, usernameFrom, passwordFrom } = spec.kafka;
  if (saslMechanism !== 'none' && (!usernameFrom || !passwordFrom)) {
    problems.push(`kafka.saslMechanism ${saslMechanism} needs kafka.usernameFrom and kafka.passwordFrom`);
  }
  const { tls, caFrom, certFrom, keyFrom } = spec.kafka;
  if (certFrom && !keyFrom) problems.push('kafka.certFrom needs kafka.keyFrom');
  if (keyFrom && !certFrom) problems.push('kafka.keyFrom needs kafka.certFrom');
  if (tls === 'false' && (caFrom || certFrom || keyFrom)) {
    problems.push('kafka.tls false contradicts kafka.caFrom/certFrom/keyFrom');
  }
  if (spec.processor.autoscaler === 'keda' && (saslMechanism !== 'none' || caFrom || certFrom)) {
    problems.push(
      'processor.autoscaler keda supports only kafka.saslMechanism none without caFrom/certFrom (no TriggerAuthentication yet)',
    );
  }
  if (spec.notifications) {
    const provided = spec.notifications.secretEnv;
    for (const name of Object.keys(provided)) {
      if (MANAGED_ENV.test(name))
        problems.push(`notifications.secretEnv.${name}: the operator sets that variable itself`);
    }
    spec.notifications.config.channels.forEach((c, i) => {
      const named: [string, string | undefined][] = [
        ['secret_env', c.secret_env],
        ['smtp.username_env', c.smtp?.username_env],
        ['smtp.password_env', c.smtp?.password_env],
      ];
      for (const [field, name] of named) {
        if (name !== undefined && !(name in provided)) {
          problems.push(
            `notifications.config.channels.${i}.${field}: ${name} is not in notifications.secretEnv`,
          );
        }
      }
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec };
}

/** The alert rules as the processor's ALERT_RULES_FILE expects them. */
export function alertRulesDocument(spec: PipelineSpec): JsonObject | undefined {
  return spec.alertRules ? ({ rules: spec.alertRules } as JsonObject) : undefined;
}

/** The processor's NOTIFICATIONS_CONFIG document, when the pipeline sends notifications. */
export function notificationsDocument(spec: PipelineSpec): JsonObject | undefined {
  return spec.notifications ? (spec.notifications.config as JsonObject) : undefined;
}
