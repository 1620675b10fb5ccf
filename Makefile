# The two commands of the README: `make run` and `make test`. Everything else here serves them.
VENV     ?= .venv
PY       := $(VENV)/bin/python
FLASK    := $(VENV)/bin/flask --app wsgi
HOST     ?= 127.0.0.1
PORT     ?= 5000

.PHONY: run test setup install system-packages lint audit db translations translations-update clean

run: setup db
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on one pytest-xdist worker per core (each with its own database, instance folder,
# servers and ports; whole files to a worker); `make test PYTEST_ARGS=-n0` runs it in one process.
PYTEST_ARGS ?= -n auto --dist loadfile

test: setup system-packages
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

# Security checks run by CI: bandit on our code (each finding fixed or justified with `# nosec`),
# pip-audit on the installed packages (a known vulnerability fails the run).
audit: setup
	$(VENV)/bin/bandit -q -r workflow forms wsgi.py -x workflow/migrations
	$(VENV)/bin/pip freeze --exclude-editable > .venv/requirements-audit.txt
	$(VENV)/bin/pip-audit --progress-spinner off -r .venv/requirements-audit.txt

setup: install $(VENV)/.installed

# What a server needs (README, "Running Antragsweg as a service"): the virtual environment with the
# packages pinned in setup.cfg, the front-end packages and the compiled translations.
install: $(VENV)/.installed-app node_modules/.package-lock.json translations

# The browser tests drive Debian's chromium (never a downloaded browser); the HTML checker needs Java;
# the proxy tests run Debian's nginx as their own unprivileged process (tests/nginx.py), so the
# system service the package starts is stopped and disabled again: it would hold port 80; chromium
# trusts their test CA through an NSS database made with certutil (libnss3-tools).
system-packages:
	@command -v chromium >/dev/null && command -v java >/dev/null && test -x /usr/sbin/nginx && \
	  command -v certutil >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium default-jre-headless \
	    nginx libnss3-tools && \
	  if [ -d /run/systemd/system ]; then systemctl disable --now nginx.service; \
	  elif [ -s /run/nginx.pid ]; then /usr/sbin/nginx -s quit; fi; }

$(VENV)/.installed-app: setup.cfg pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# The test tools on top (the `test` extra).
$(VENV)/.installed: $(VENV)/.installed-app
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

translations: $(VENV)/.installed-app
	$(VENV)/bin/pybabel compile -d workflow/translations

# After changing user-facing text: extract it and merge it into the English catalogue.
translations-update: $(VENV)/.installed-app
	$(VENV)/bin/pybabel extract -F workflow/babel.cfg -k _l -k lazy_gettext -k N_ --no-wrap --sort-by-file \
	    --project=Antragsweg --copyright-holder=Antragsweg -o workflow/translations/messages.pot .
	$(VENV)/bin/pybabel update --no-wrap -i workflow/translations/messages.pot -d workflow/translations -l en

# Creates instance/antragsweg.sqlite3 (migrations) and fills it with demo data the first time.
db: $(VENV)/.installed-app
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty

clean:
	rm -rf $(VENV) node_modules instance/antragsweg.sqlite3 instance/documents
