# Convenience targets; each is one documented command (see docs/RELIABILITY.md).
#
#   make build      the extension, in place (for PYTHONPATH=. runs); rebuilt when
#                   any file under csrc/ or the Cython sources change
#   make test       the whole test suite on the in-place build (quick hypothesis profile)
#   make test-ci    the same with CI's profile: 2000 examples per property test
#   make sanitize   the kernel tests on an AddressSanitizer + UndefinedBehaviorSanitizer
#                   build made under build/sanitize/ (leaves the in-place build alone)
#   make bench      the side-by-side benchmark table (small shapes)

PYTHON ?= python3
RUN = PYTHONPATH=$(CURDIR) $(PYTHON)
STAMP = build/inplace.stamp

.PHONY: build test test-ci sanitize bench

build: $(STAMP)

# --force: setuptools only compares the .c files' times, not the .inc and .h
# files they include.
$(STAMP): setup.py $(wildcard csrc/*) $(wildcard makemore_fast/*.pyx makemore_fast/*.pxi makemore_fast/*.pxd)
	$(PYTHON) setup.py -q build_ext --inplace --force
	@mkdir -p $(@D) && touch $@

test: build
	$(RUN) -m pytest -q

test-ci: build
	CI=true $(RUN) -m pytest -q

sanitize:
	PYTHON=$(PYTHON) tools/sanitize.sh

bench: build
	$(RUN) -m makemore_fast.bench
