# The two set-up commands (see README): `make run` and `make test`.
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: run test build

## Builds (release) and runs the service. Without DATABASE_URL it uses a private PostgreSQL under .addon-lifecycle/.
run:
	.ci/setup
	swift build -c release --product addon-lifecycle
	.build/release/addon-lifecycle run

## Runs the whole test suite against a throwaway PostgreSQL.
test:
	.ci/test

build:
	.ci/setup
	swift build
