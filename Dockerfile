# One image for both apps; docker-compose picks the entry point (start:api / start:broker).
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund
ENV NODE_ENV=production
EXPOSE 8080 1883 8083
CMD ["node", "dist/apps/server/src/main.js"]
