# Warren from source on Debian 12 (the same packages as .ci/setup).
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libboost1.81-dev libboost-json1.81-dev \
      libboost-url1.81-dev libboost-test1.81-dev librdkafka-dev libtomlplusplus-dev libspdlog-dev zlib1g-dev libre2-dev \
      libkainjow-mustache-dev libcurl4-openssl-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARREN_TESTS=OFF && cmake --build build --target warren

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libboost-json1.81.0 libboost-url1.81.0 libspdlog1.10 libfmt9 zlib1g libssl3 libcurl4 libre2-9 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/service/warren /usr/local/bin/warren
COPY config/ /etc/warren/
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/warren"]
CMD ["--config", "/etc/warren/compose.toml"]
