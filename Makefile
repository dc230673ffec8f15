# UnionCadre Academy — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
# links in mail and the seed's login hint point at the address actually served
LMS_BASE_URL ?= http://$(HOST):$(PORT)
export LMS_BASE_URL

# Debian packages: a CJK font and HarfBuzz subsetting for Chinese PDFs; the
# browser for the browser tests.
DEB_RUN := fonts-noto-cjk libharfbuzz-subset0 fontconfig
# poppler-utils: pdftoppm renders the certificate test's page to PNG.
DEB_TEST := chromium chromium-driver poppler-utils

# The certificate's GB2312 subset of Noto Serif CJK SC (about 15 s, once; build/
# is git-ignored); lms/certificates/fonts.py. Without it PDFs use the full font.
CERT_FONT := build/fonts/certificate-serif-sc-regular.otf

.PHONY: run test bench scorecard install install-dev lint serve serve-prod migrate seed translations clean help

help:
	@echo "make run     install, migrate, seed the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test    install with test tools and run the whole suite"
	@echo "make scorecard  the reliability and security scorecard of the last test runs"
	@echo "make bench   every benchmark in bench/, on SQLite and PostgreSQL (BENCH_PG_URL)"
	@echo "make serve-prod  migrate, then app instances, Celery worker and beat on PostgreSQL and"
	@echo "            Redis (settings: LMS_ENV_FILE, default /etc/unioncadre/lms.env; README Production)"
	@echo "make install / install-dev / lint / translations / clean"

run: install migrate seed serve

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# The card of the last `make test` on each database (.scorecard/, written by the
# tests/scorecard.py plugin); fails if a RELIABILITY.md catalogue id has no test.
scorecard: $(VENV)/.installed-dev
	$(BIN)/python -m tests.scorecard

# Each exam benchmark builds its database afresh (PostgreSQL: drops and creates
# BENCH_PG_URL's database) and writes bench/results/latest.json; see bench/README.md.
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_exam
BENCH_CERT_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_cert
BENCH_TICK_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_tick
BENCH_PAGES_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_pages
BENCH_IMPORT_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_import

# data_scale.py builds bench_scale_1k and bench_scale_100k on the PostgreSQL server of
# BENCH_PG_URL; the summary at the end is every row of bench/results/latest.json.
bench: install-dev
	$(BIN)/python bench/gift_import.py --database sqlite
	$(BIN)/python bench/gift_import.py --database postgresql --url $(BENCH_IMPORT_PG_URL)
	$(BIN)/python bench/item_stats.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/certificate_pdf.py
	$(BIN)/python bench/certificate_issuance.py --database sqlite
	$(BIN)/python bench/certificate_issuance.py --database postgresql --url $(BENCH_CERT_PG_URL)
	$(BIN)/python bench/retraining_tick.py --database sqlite
	$(BIN)/python bench/retraining_tick.py --database postgresql --url $(BENCH_TICK_PG_URL)
	$(BIN)/python bench/exam_autosave.py --database sqlite
	$(BIN)/python bench/exam_autosave.py --database postgresql --url $(BENCH_PG_URL)
	$(BIN)/python bench/pages.py --database sqlite
	$(BIN)/python bench/pages.py --database postgresql --url $(BENCH_PAGES_PG_URL)
	$(BIN)/python bench/data_scale.py --database sqlite
	$(BIN)/python bench/data_scale.py --database postgresql --server $(dir $(BENCH_PG_URL))
	@echo; echo "Summary (bench/results/latest.json):"; $(BIN)/python bench/summary.py

install: .make-deb-run $(VENV)/.installed translations $(CERT_FONT)

install-dev: install .make-deb-test $(VENV)/.installed-dev

# Installs missing Debian packages as root; otherwise prints the command and stops.
define ensure_deb
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

.make-deb-run:
	$(call ensure_deb,$(DEB_RUN))
	@touch $@

.make-deb-test:
	$(call ensure_deb,$(DEB_TEST))
	@touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

$(CERT_FONT): lms/certificates/fonts.py | .make-deb-run $(VENV)/.installed
	$(BIN)/python -m lms.certificates.fonts --force

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -f -d lms/translations

migrate: install
	$(FLASK) db upgrade
	$(FLASK) lms init-keys

seed: migrate
	$(FLASK) lms seed --demo

serve:
	@echo "Serving on http://$(HOST):$(PORT) — log in with one of the demo accounts above."
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production on this machine: see deploy/serve-prod.sh and README "Production".
serve-prod: install
	deploy/serve-prod.sh

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .make-deb-* .pytest_cache .ruff_cache build/fonts

# Refresh the message catalogue after changing UI strings, then translate
# lms/translations/zh_Hans_CN/LC_MESSAGES/messages.po.
messages: install-dev
	$(BIN)/pybabel extract -F lms/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs=".venv tests" --project "UnionCadre Academy" -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching -w 100
