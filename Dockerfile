# syntax=docker/dockerfile:1
# k8s-advisor: one image for both roles (hub and per-cluster agent).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml ./
COPY data ./data
COPY examples ./examples
# The "node" user (uid 1000) from the base image; the chart also sets runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["hub", "--config", "/etc/k8s-advisor/config.yaml"]
