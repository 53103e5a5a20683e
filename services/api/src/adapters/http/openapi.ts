import { z } from 'zod';
import { fastApiErrorSchema, problemSchema } from '../../contract/common';
import { PROBLEMS, codeForStatus } from './problem';
import type { Route } from './route';

type Json = Record<string, unknown>;

/** JSON Schema (2020-12, which OpenAPI 3.1 uses as is) of a zod schema; named schemas become components. */
class SchemaConverter {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
    delete json['$schema'];
    const defs = (json['$defs'] ?? {}) as Record<string, Json>;
    delete json['$defs'];
    for (const [id, def] of Object.entries(defs)) {
      const tidy = this.tidy(def) as Json;
      const known = this.components[id];
      if (known && JSON.stringify(known) !== JSON.stringify(tidy)) {
        throw new Error(`two different schemas are both named ${id} in the API contract`);
      }
      this.components[id] = tidy;
    }
    return this.tidy(json) as Json;
  }

  /** Points $defs references at components, and drops zod's long date-time regex where `format` says it. */
  private tidy(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.tidy(n));
    if (node === null || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/$defs/', '#/components/schemas/');
      else if (k === 'pattern' && (node as Json)['format'] === 'date-time') continue;
      else out[k] = this.tidy(v);
    }
    return out;
  }
}

function parameters(converter: SchemaConverter, route: Route): Json[] {
  const out: Json[] = [];
  const add = (shape: Record<string, z.ZodType>, where: 'path' | 'query'): void => {
    for (const [name, field] of Object.entries(shape)) {
      const schema = converter.convert(field, 'input');
      const description = schema['description'];
      delete schema['description'];
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema,
      });
    }
  };
  if (route.params) add(route.params.shape as Record<string, z.ZodType>, 'path');
  if (route.query) add(route.query.shape as Record<string, z.ZodType>, 'query');
  return out;
}

function problemStatuses(route: Route): number[] {
  const statuses = new Set<number>([500, ...(route.problems ?? [])]);
  const invalid = route.errors === 'fastapi' ? 422 : 400;
  if (route.query || route.params || (route.kind === 'json' && route.body)) statuses.add(invalid);
  if (route.auth !== 'none') statuses.add(403).add(401);
  if (route.kind === 'json' && route.body) statuses.add(413).add(415);
  if (!route.unlimited) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

/**
 * The OpenAPI 3.1 document of the route table: every route with its parameters, body, responses and
 * security, from the same zod schemas that validate requests.
 */
export function buildOpenApi(
  routes: readonly Route[],
  info: { title: string; version: string; description: string },
): Json {
  const converter = new SchemaConverter();
  const problemRef = converter.convert(problemSchema, 'output');
  const fastApiRef = converter.convert(fastApiErrorSchema, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const responses: Json = {};
    responses['200'] =
      route.kind === 'json'
        ? {
            description: route.responseDescription,
            content: { 'application/json': { schema: converter.convert(route.response, 'output') } },
          }
        : {
            description: route.produces.description,
            content: { [route.produces.contentType]: { schema: { type: 'string' } } },
          };
    for (const status of problemStatuses(route)) {
      responses[String(status)] =
        route.errors === 'fastapi'
          ? {
              description: status === 422 ? 'Validation error' : PROBLEMS[codeForStatus(status)].title,
              content: { 'application/json': { schema: fastApiRef } },
            }
          : {
              description: PROBLEMS[codeForStatus(status)].title,
              content: { 'application/problem+json': { schema: problemRef } },
            };
    }
    const security =
      route.auth === 'write' ? [{ apiKey: [] }] : route.auth === 'read' ? [{}, { apiKey: [] }] : undefined;
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      parameters: parameters(converter, route),
      ...(route.kind === 'json' && route.body
        ? {
            requestBody: {
              required: false,
              content: { 'application/json': { schema: converter.convert(route.body, 'input') } },
            },
          }
        : {}),
      responses,
      ...(security ? { security } : {}),
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: converter.components,
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'Required to acknowledge and resolve alerts; on reads too when API_READ_AUTH=true.',
        },
      },
    },
  };
}
