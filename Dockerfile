# syntax=docker/dockerfile:1
# k8s-advisor: one image for both roles (hub and per-cluster agent).
#   docker build -t k8s-advisor .
#   docker run --read-only --tmpfs /tmp -v ./fleet.yaml:/etc/k8s-advisor/config.yaml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -e REDIS_URL k8s-advisor
# Pinned to an exact Node.js 24 release (bump deliberately, with the lock file's engines in mind).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# --- build: compile TypeScript to dist/ (dev dependencies stay in this stage) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && find dist \( -name '*.map' -o -name '*.d.ts' \) -delete

# --- deps: production dependencies only ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to node (graceful shutdown) and reaps zombies. npm, npx, corepack
# and yarn are not needed at run time: removed, smaller image and less to patch.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
WORKDIR /app
# Files owned by root and read-only to the app user: the process writes nothing (a read-only root
# filesystem works; only a mounted /tmp is writable).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml ./
COPY bin ./bin
COPY scripts/check-node.js ./scripts/check-node.js
COPY data ./data
COPY examples ./examples
# The "node" user (uid 1000) of the base image; the chart also sets runAsNonRoot.
USER 1000:1000
# /livez, /readyz and /metrics (HEALTH_PORT); Slack's HTTP mode uses PORT (3000) on top.
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||8081)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/k8s-advisor.js"]
CMD ["hub", "--config", "/etc/k8s-advisor/config.yaml"]
