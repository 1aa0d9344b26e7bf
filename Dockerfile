# Flex-template image: the Go launcher base runs FLEX_TEMPLATE_GO_BINARY,
# which builds the job graph and submits it; Dataflow stages the same binary
# to the workers, so it is built for linux/amd64 and never stripped (Beam
# looks up registered functions by symbol).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /out/revrepl ./template

FROM gcr.io/dataflow-templates-base/go-template-launcher-base
ARG WORKDIR=/dataflow/template
WORKDIR ${WORKDIR}
COPY --from=build /out/revrepl ${WORKDIR}/revrepl
ENV FLEX_TEMPLATE_GO_BINARY=${WORKDIR}/revrepl
ENTRYPOINT ["/opt/google/dataflow/go_template_launcher"]
