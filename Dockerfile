# syntax=docker/dockerfile:1
# Portico as a container: built in one stage, run from a small one that holds only the binary
# and web/ (templates and stylesheet; the binary also carries its own copy), as a user
# without privileges. See "Running in containers" in README.md.

ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# Named in /metrics (portico_build_info); compose.yaml passes `git rev-parse HEAD`.
ARG PORTICO_GIT_COMMIT=unknown
ENV PORTICO_GIT_COMMIT=${PORTICO_GIT_COMMIT} CARGO_TERM_COLOR=never
WORKDIR /src
COPY . .
# The registry and target directories are build caches, not layers: a rebuild after a source
# change compiles Portico, not its dependencies.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin portico \
 && install -D -m 0755 target/release/portico /out/portico

FROM ${RUNTIME_IMAGE}
# CA certificates for SMTP over TLS and the SMS gateway; nothing else is installed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/portico --create-home portico
COPY --from=build /out/portico /usr/local/bin/portico
COPY web/ /usr/share/portico/web/
USER 10001:10001
# Mail and SMS folders (when no SMTP server or gateway is set) and a SQLite file, if used,
# live here; mount a volume on it.
WORKDIR /var/lib/portico
ENV PORTICO_BIND=0.0.0.0:8080 \
    PORTICO_LOG_FORMAT=json
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/portico"]
CMD ["serve"]
