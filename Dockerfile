# wdtk-archive: one image for the nightly archiver and the web service.
FROM node:24-bookworm-slim

# chromium + fonts: page snapshots; tesseract: OCR of scanned PDFs; poppler-utils: PDF page rendering for OCR.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core tesseract-ocr tesseract-ocr-eng poppler-utils ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .

ENV NODE_ENV=production \
    ARCHIVE_DIR=/data
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "bin/wdtk-archive.js"]
CMD ["--help"]
