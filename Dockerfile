# The eks-netlab worker: `npm run worker` on Node.js 24 LTS, as a non-root user. docker-compose.yml
# builds and runs it next to Temporal and moto; alone: `docker build -t eks-netlab-worker .`
#
# Environment (docker run -e / compose `environment`):
#   TEMPORAL_ADDRESS       Temporal frontend, host:port (default 127.0.0.1:7233); TEMPORAL_NAMESPACE,
#                          TLS and API key as Temporal's envconfig reads them (activities/temporal.ts)
#   NETLAB_TARGET          sandbox (default) or aws
#   sandbox target         AWS calls go to the sandbox's gateway at 127.0.0.1:NETLAB_GATEWAY_PORT (4566),
#                          DNS to 127.0.0.1:NETLAB_DNS_PORT (8053), load balancers to
#                          127.0.0.1:NETLAB_LB_PORT (4580): run it on the sandbox host's network
#   aws target             AWS_REGION and credentials from the SDK's default chain (AWS_ACCESS_KEY_ID,
#                          AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or AWS_PROFILE with ~/.aws mounted
#                          at /home/node/.aws); AWS's own endpoints
# Reports are written to /app/.netlab/reports.

# Helm, which installs the AWS Load Balancer Controller chart: built from the Go module proxy as the
# sandbox builds it (sandbox/tools.ts), at the version sandbox/config.ts pins.
FROM golang:1.26.8-bookworm AS helm
ARG HELM_VERSION=v3.21.4
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN=/out \
    go install -trimpath "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"

FROM node:24.21.0-bookworm-slim
ARG HELM_VERSION=v3.21.4
# The sandbox target runs helm from the tool cache (sandbox/tools.ts toolPaths.helm), the aws target from PATH.
ENV NETLAB_CACHE=/opt/eks-netlab
COPY --from=helm /out/helm /opt/eks-netlab/bin/helm-${HELM_VERSION}
RUN ln -s /opt/eks-netlab/bin/helm-${HELM_VERSION} /usr/local/bin/helm

WORKDIR /app
# Dependencies first, from the lockfile, so a change of source alone reuses this layer. The worker
# runs TypeScript through tsx, a runtime dependency: no development dependency is needed. The `node`
# package, also one, puts the same Node.js release as this image first on `npm run`'s PATH.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# Bundles the workflow code once: the worker runs the bundle instead of bundling at every start
# (and bundles the sources itself, saying so, when they are not the bundle's).
RUN npm run build
RUN mkdir -p .netlab/reports && chown -R node:node .netlab

USER node
CMD ["npm", "run", "worker"]
