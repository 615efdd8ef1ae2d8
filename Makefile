# The two commands a new user needs (see README.md). Everything else lives in scripts/.
PORT ?= 8080

.PHONY: play test
play:
	scripts/setup.sh build
	scripts/build-web.sh
	node scripts/serve.mjs --root dist --port $(PORT)

test:
	scripts/test.sh
