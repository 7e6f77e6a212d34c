FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY backend/ /app/
CMD ["/bin/sh", "/app/run.sh"]
