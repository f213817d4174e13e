# The image of the loader and api services in docker-compose.yml: this repository with its locked
# dependencies (tsx runs the TypeScript directly, as in a native checkout).
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY --chown=node:node . .
USER node
