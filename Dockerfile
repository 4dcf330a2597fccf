# wdtk-archive: one image for the nightly archiver and the web service.
# The build stage compiles the TypeScript (scripts/build.mjs); the image runs plain JavaScript, so a
# crawl starts faster and holds about 60 MiB less than through tsx.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script builds, and the sources are not copied in yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
# chromium + fonts: page snapshots; tesseract: OCR of scanned PDFs; poppler-utils: PDF page rendering for OCR.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core tesseract-ocr tesseract-ocr-eng poppler-utils ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY --from=build /app/dist ./dist

ENV NODE_ENV=production \
    ARCHIVE_DIR=/data
# The volume must be the runtime user's: a new named volume takes the ownership of the directory in the image, and a
# VOLUME line alone would make it root's, so an embedded archive or the crawl's temp files could not be written.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]
