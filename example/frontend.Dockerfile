FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]

FROM base AS application
COPY frontend/app/ /app/
CMD ["/bin/sh", "/app/serve.sh"]

FROM base AS assets
COPY --from=application /app/index.html /build/index.html
RUN gzip -k /build/index.html
CMD ["/bin/ls", "-l", "/build"]
