# syntax=docker/dockerfile:1
# Interview Gateway: a slim, non-root image of the `interview-gateway` binary.
#
#   docker build -t interview-gateway .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://… -e GATEWAY_SECURITY__MASTER_KEY=… interview-gateway
#
# Checked without a Docker engine by scripts/check-deploy (part of `bash scripts/test`).

# --- skeleton: only the manifests, so the dependency layer below is rebuilt only when a
# Cargo.toml or Cargo.lock changes, not on every source edit.
FROM rust:1-slim-bookworm AS skeleton
WORKDIR /src
COPY . .
RUN set -eu; mkdir -p /skeleton; \
    cp Cargo.toml Cargo.lock /skeleton/; \
    cp -r .cargo /skeleton/; \
    for manifest in $(find crates -name Cargo.toml); do \
      dir=$(dirname "$manifest"); \
      mkdir -p "/skeleton/$dir/src"; \
      cp "$manifest" "/skeleton/$dir/"; \
      [ -f "$dir/build.rs" ] && cp "$dir/build.rs" "/skeleton/$dir/"; \
      echo '' > "/skeleton/$dir/src/lib.rs"; \
      echo 'fn main() {}' > "/skeleton/$dir/src/main.rs"; \
      for target in $(grep -ho 'path = "[^"]*\.rs"' "$manifest" | cut -d'"' -f2); do \
        mkdir -p "/skeleton/$dir/$(dirname "$target")"; \
        [ -f "/skeleton/$dir/$target" ] || echo 'fn main() {}' > "/skeleton/$dir/$target"; \
      done; \
    done

# --- build: dependencies first (cached), then our crates.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY --from=skeleton /skeleton/ ./
# store's build.rs watches ../../migrations; sqlx::migrate! needs them to exist.
COPY migrations ./migrations
RUN cargo build --release --locked -p interview-gateway
COPY crates ./crates
COPY config ./config
# The skeleton's stub builds are newer than the sources' copied mtimes: make cargo see the
# real sources as changed, or it would ship the stubs.
RUN find crates -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p interview-gateway \
    && cp target/release/interview-gateway /usr/local/bin/interview-gateway

# --- runtime
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/interview-gateway --create-home gateway
COPY --from=build /usr/local/bin/interview-gateway /usr/local/bin/interview-gateway
COPY config/docker.toml /etc/interview-gateway/docker.toml
ENV GATEWAY_CONFIG=/etc/interview-gateway/docker.toml
# The SQLite fallback and any key file live here; mount a volume to keep them.
WORKDIR /var/lib/interview-gateway
USER 10001
EXPOSE 8080
# The binary is its own probe: no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["interview-gateway", "health"]
ENTRYPOINT ["interview-gateway"]
CMD ["serve"]
