# TelemetryPulse images: one multi-stage Dockerfile, one target per service (docs/deploy/images.md).
#
#   docker build --target processor -t ghcr.io/telemetry-pulse/processor:0.1.0 .
#
# Targets: simulator, processor (also runs the migrations and the DLQ tool), api, operator. Each runs as
# the image's `node` user, given as uid 1000 so Kubernetes can verify runAsNonRoot, on a read-only root
# filesystem: /app belongs to root and the services write nothing but /tmp. Each holds its own workspace's
# production dependencies only (npm ci --omit=dev --workspace). The <service>-dev targets are Tilt's: the
# host's compiled files, owned by uid 1000 so live update can replace them, and `node --watch` to restart
# on each change.

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- package manifests only: the dependency layers below stay cached until one of these changes ----------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
# npm ci checks the lock file against every workspace's package.json, so all of them come along.
COPY package.json package-lock.json ./
COPY services/shared/package.json services/shared/
COPY services/simulator/package.json services/simulator/
COPY services/processor/package.json services/processor/
COPY services/api/package.json services/api/
COPY services/operator/package.json services/operator/

# ---- compile every workspace with the full dependency tree (TypeScript is a dev dependency) --------------
# Behind a TLS-inspecting proxy (a corporate network re-signing the npm registry's certificate), give the
# install steps that proxy's CA as a build secret: mounted for the step only, never in a layer or an image:
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt --target processor .
#   podman build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt --target processor .
# Without the secret the steps run unchanged.
FROM manifests AS build
# --ignore-scripts: no package's install script runs in the build; none of the dependencies needs one.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm_ca,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi && \
    npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
# Sources only, never a host's dist/: what ships is compiled here, from the commit being built.
COPY services/shared/tsconfig.json services/shared/
COPY services/shared/src services/shared/src
COPY services/simulator/tsconfig.json services/simulator/
COPY services/simulator/src services/simulator/src
COPY services/processor/tsconfig.json services/processor/
COPY services/processor/src services/processor/src
COPY services/api/tsconfig.json services/api/
COPY services/api/src services/api/src
COPY services/operator/tsconfig.json services/operator/
COPY services/operator/src services/operator/src
RUN npx --no-install tsc --build

# ---- production dependencies of one workspace each (and of shared, which they all depend on) -------------
# Each image records them as a CycloneDX SBOM at /app/sbom.cdx.json: every package installed, read by
# scripts/images/sbom.ts (bind-mounted for the step, not part of the image; npm sbom cannot describe such a
# partial workspace tree, see there).
FROM manifests AS simulator-deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm_ca,required=false \
    --mount=type=bind,source=scripts/images/sbom.ts,target=/tmp/sbom.ts \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi && \
    npm ci --omit=dev --workspace=services/simulator --no-audit --no-fund --ignore-scripts && \
    node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON /tmp/sbom.ts /app services/simulator >sbom.cdx.json

FROM manifests AS processor-deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm_ca,required=false \
    --mount=type=bind,source=scripts/images/sbom.ts,target=/tmp/sbom.ts \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi && \
    npm ci --omit=dev --workspace=services/processor --no-audit --no-fund --ignore-scripts && \
    node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON /tmp/sbom.ts /app services/processor >sbom.cdx.json

FROM manifests AS api-deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm_ca,required=false \
    --mount=type=bind,source=scripts/images/sbom.ts,target=/tmp/sbom.ts \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi && \
    npm ci --omit=dev --workspace=services/api --no-audit --no-fund --ignore-scripts && \
    node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON /tmp/sbom.ts /app services/api >sbom.cdx.json

FROM manifests AS operator-deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm_ca,required=false \
    --mount=type=bind,source=scripts/images/sbom.ts,target=/tmp/sbom.ts \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi && \
    npm ci --omit=dev --workspace=services/operator --no-audit --no-fund --ignore-scripts && \
    node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON /tmp/sbom.ts /app services/operator >sbom.cdx.json

# ---- what every runtime image shares --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.source="https://github.com/telemetry-pulse/telemetry-pulse" \
      org.opencontainers.image.vendor="TelemetryPulse" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
WORKDIR /app

# ---- simulator: fleet telemetry to Kafka; /healthz, /readyz, /metrics on SIM_METRICS_PORT ----------------
FROM runtime AS simulator
LABEL org.opencontainers.image.title="telemetry-pulse simulator"
COPY --from=simulator-deps /app ./
COPY --from=build /app/services/shared/dist services/shared/dist
COPY --from=build /app/services/simulator/dist services/simulator/dist
USER 1000:1000
EXPOSE 9465
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SIM_METRICS_PORT||9465)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/simulator/dist/main.js"]

# ---- processor: the consumer group; also `node services/shared/dist/migrate-cli.js` and the DLQ tool -----
FROM runtime AS processor
LABEL org.opencontainers.image.title="telemetry-pulse processor"
COPY --from=processor-deps /app ./
COPY --from=build /app/services/shared/dist services/shared/dist
COPY services/shared/migrations services/shared/migrations
COPY --from=build /app/services/processor/dist services/processor/dist
USER 1000:1000
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PROCESSOR_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Heap sizes: Node 24 sizes V8's heap from the memory it sees, and a draining processor let garbage pile up to
# ~340 MiB RSS around a live heap of ~50 MiB (batches are bounded; alert state lives in PostgreSQL). With
# 8 MiB semi-spaces and a 128 MiB old space it drains at ~90 % of the speed in ~210-235 MiB
# (docs/benchmarks.md, "Processor against a bare COPY"). Raise --max-old-space-size with
# PROCESSOR_MAX_BATCH_BYTES x PROCESSOR_CONCURRENCY (docs/configuration.md, "Memory").
CMD ["node", "--max-semi-space-size=16", "--max-old-space-size=128", "services/processor/dist/main.js"]

# ---- api: API, dashboard, /docs, /healthz, /readyz and /metrics on API_PORT; migrates at start-up --------
FROM runtime AS api
LABEL org.opencontainers.image.title="telemetry-pulse api"
COPY --from=api-deps /app ./
COPY --from=build /app/services/shared/dist services/shared/dist
COPY services/shared/migrations services/shared/migrations
COPY --from=build /app/services/api/dist services/api/dist
COPY services/api/public services/api/public
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/api/dist/main.js"]

# ---- operator: the TelemetryPipeline controller; /healthz, /readyz, /metrics on 9466 ---------------------
FROM runtime AS operator
LABEL org.opencontainers.image.title="telemetry-pulse operator"
COPY --from=operator-deps /app ./
COPY --from=build /app/services/shared/dist services/shared/dist
COPY --from=build /app/services/operator/dist services/operator/dist
USER 1000:1000
EXPOSE 9466
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPERATOR_PORT||9466)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/operator/dist/main.js"]

# ---- Tilt's development images: host-compiled dist/ owned by node (live update writes it), node --watch ---
FROM processor-deps AS processor-dev
ENV NODE_ENV=development
COPY --chown=1000:1000 services/shared/dist services/shared/dist
COPY services/shared/migrations services/shared/migrations
COPY --chown=1000:1000 services/processor/dist services/processor/dist
USER 1000:1000
CMD ["node", "--watch", "services/processor/dist/main.js"]

FROM simulator-deps AS simulator-dev
ENV NODE_ENV=development
COPY --chown=1000:1000 services/shared/dist services/shared/dist
COPY --chown=1000:1000 services/simulator/dist services/simulator/dist
USER 1000:1000
CMD ["node", "--watch", "services/simulator/dist/main.js"]

FROM api-deps AS api-dev
ENV NODE_ENV=development
COPY --chown=1000:1000 services/shared/dist services/shared/dist
COPY services/shared/migrations services/shared/migrations
COPY --chown=1000:1000 services/api/dist services/api/dist
COPY --chown=1000:1000 services/api/public services/api/public
USER 1000:1000
CMD ["node", "--watch", "services/api/dist/main.js"]
