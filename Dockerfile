# One image per Flowline service, from one multi-stage file:
#   docker build --build-arg SERVICE=event-gateway -t flowline/event-gateway .
# Stages: dependencies -> build (SWC transpile of the service and libs) -> production
# dependencies only -> a small runtime image that runs as the unprivileged `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
ARG SERVICE
COPY tsconfig.base.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
COPY tools/build ./tools/build
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<event-gateway|process-registry|async-executor|session-service>" && false)
RUN node -r @swc-node/register tools/build/src/build.ts "$SERVICE" --out /app/dist
# The session service serves the operator console (docs/adr/0013): its page is built here, into dist/apps/console.
RUN if [ "$SERVICE" = session-service ]; then node node_modules/vite/bin/vite.js build --config apps/console/vite.config.mts --logLevel warn; fi

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
# Readiness doubles as the container health check (database and Kafka reachable). Without
# HTTP_PORT the service listens on its default port, which the check reads from the built
# service descriptors (libs/contracts) rather than assuming the gateway's 8080.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "const {ALL_SERVICES}=require('./dist/libs/contracts/src/services/services.js');const port=process.env.HTTP_PORT||ALL_SERVICES.find(s=>s.name===process.env.SERVICE).httpPort;fetch('http://127.0.0.1:'+port+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form through sh so that $SERVICE expands, with exec so node gets SIGTERM directly.
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/src/main.js"]
