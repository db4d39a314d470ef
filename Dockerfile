# medcom-gateway: one image for `serve`, `api`, `worker` and `migrate`.
#
#   docker build -t medcom-gateway .
#   docker run -e DATABASE_URL=… -e REDIS_URL=… -v ./config:/app/config -p 8080:8080 medcom-gateway serve
#
# Every setting comes from the environment (README, "Running it"); the configuration folder
# (endpoints.json, keys.json, deadline-rules.json, retraining-routing.json) is a volume.
# test/deploy/production-start.test.ts reads this file and runs its production install and its start
# command from a clean folder, so what is written here is what is tested.

ARG NODE_VERSION=20

# --- build: every dependency, compile TypeScript to dist/ ---
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build is the next step.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY web ./web
RUN npm run build

# --- runtime: production dependencies and the compiled code only ---
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    MEDCOM_CONFIG_DIR=/app/config \
    MEDCOM_DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the TypeScript build) needs the dev dependencies left out here; dist/
# comes from the build stage instead.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY src/store/migrations ./src/store/migrations
COPY config ./config
# The embedded store (only used when DATABASE_URL is unset) must be writable by the unprivileged user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/config", "/app/data"]
EXPOSE 8080
# /readyz: 200 once PostgreSQL and Redis answer. A `worker` has no HTTP API: compose.yaml turns the check off there.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/medcom-gateway.js"]
CMD ["serve"]
