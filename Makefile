# Every target bootstraps .venv from the pinned requirements, so a fresh clone needs only Python 3.11 and make. The
# commands need only the runtime (requirements.txt: what `pulumi up` runs too); tests, lint and benchmarks add the
# development requirements. A job that holds a credential installs the runtime alone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
STACK ?= dev
ARGS ?=
# Which stack a command reads: STACK=name (Pulumi.<name>.yaml beside Pulumi.yaml), or CONFIG=path/Pulumi.x.yaml given
# on the command line for a stack file anywhere.
WHICH = $(if $(filter command line,$(origin CONFIG)),--config-file $(CONFIG),--stack $(STACK))

.PHONY: venv lock preview preview-all bootstrap-preview stacks diff simulate match match-demo status status-all test lint bench mutation clean pulumi policy-venv conformance real-preview

# Every install checks each file's hash against the locked requirements (`make lock` writes them from the *.in).
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes

$(RUNTIME): requirements-pip.txt requirements.txt
	@echo "Setting up $(VENV) from the locked requirements (first run, or they changed): a minute or two of pip..." >&2
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements-pip.txt
	$(PY) $(PIP_INSTALL) -r requirements.txt
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) requirements-dev.txt
	@echo "Adding the development requirements to $(VENV) (tests, lint, benchmarks)..." >&2
	$(PY) $(PIP_INSTALL) -r requirements-dev.txt
	touch $(STAMP)

## make lock: the locked requirements (every dependency pinned, with its hashes) compiled again from the *.in files,
## by pip-tools in a scratch virtualenv; run it after editing a *.in (Dependabot does the same for its updates)
PIP_COMPILE := pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	.lock-venv/bin/$(PIP_COMPILE) -o requirements-pip.txt requirements-pip.in
	.lock-venv/bin/$(PIP_COMPILE) -o requirements.txt requirements.in
	.lock-venv/bin/$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	.lock-venv/bin/$(PIP_COMPILE) -o requirements-mutation.txt requirements-mutation.in
	cd policies && ../.lock-venv/bin/$(PIP_COMPILE) -o requirements.txt requirements.in
	rm -rf .lock-venv

## make venv: .venv with the runtime only (what the commands and `pulumi up` need)
venv: $(RUNTIME)

## make preview: the credential-free preview of the dev stack (resources, policy verdicts); STACK=name for another
preview: $(RUNTIME)
	$(PY) -m webex_scim preview $(WHICH) $(ARGS)

## make preview-all: every stack (each Pulumi.<stack>.yaml) previewed in one run, one policy pack, one table
preview-all: $(RUNTIME)
	$(PY) -m webex_scim preview --all $(ARGS)

## make stacks: this project's stacks (each Pulumi.<stack>.yaml) as `stacks=[...]`, a workflow matrix; needs no .venv
stacks:
	@$(PYTHON) -m webex_scim.stacks

## make bootstrap-preview: the credential-free preview of the pipeline identities (bootstrap/, its own policy pack);
## BOOTSTRAP_STACK=name for another stack file than bootstrap/Pulumi.example.yaml
BOOTSTRAP_STACK ?= example
bootstrap-preview: $(RUNTIME)
	$(PY) -m webex_scim preview --project-dir bootstrap --stack $(BOOTSTRAP_STACK) $(ARGS)

## make diff BASE=origin/main: the offline preview of this tree against a git ref, and what would change
BASE ?= origin/main
diff: $(RUNTIME)
	$(PY) -m webex_scim diff $(WHICH) --base $(BASE) $(ARGS)

## make simulate USERS=users.json: which users Webex gets, with what, and which not and why (USERS=graph: live)
USERS ?=
simulate: $(RUNTIME)
	@test -n "$(USERS)" || { echo "make simulate USERS=<users.json, e.g. from az ad user list> (or USERS=graph)" >&2; exit 2; }
	$(PY) -m webex_scim simulate $(WHICH) --users $(USERS) $(ARGS)

## make match USERS=users.json ARGS='--scim-token-env NAME': which Webex user each Entra user will match, read-only
## (the stack's tenant URL; ARGS='… --scim-url URL' another; CONFIG=path/Pulumi.x.yaml a stack file anywhere)
match: $(RUNTIME)
	@test -n "$(USERS)" || { echo "make match USERS=<users.json> (or USERS=graph) ARGS='--scim-token-env NAME'" >&2; exit 2; }
	$(PY) -m webex_scim match $(WHICH) --users $(USERS) $(ARGS)

## make match-demo: a Webex org on http://127.0.0.1:8765/v2 (token demo-token) for docs/match.md's example
match-demo: $(STAMP)
	$(PY) -m tests.webex_org --org docs/match-demo/webex-org.json $(ARGS)

## make status: the deployed job's health, read live from Graph (CONFIG=path/Pulumi.x.yaml for a stack file elsewhere)
status: $(RUNTIME)
	$(PY) -m webex_scim status $(WHICH) $(ARGS)

## make status-all: every Pulumi.<stack>.yaml's job, one table; exit = the worst
status-all: $(RUNTIME)
	$(PY) -m webex_scim status --all $(ARGS)

## make test: the whole test suite
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12  # the workflows: needs Go; the module proxy pins the version
	$(VENV)/bin/zizmor --offline --quiet .github  # the workflows' and Dependabot's security: pinned in requirements-dev

## make bench: benchmarks (ratios on this machine), not tests
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

## make mutation: mutation testing (mutmut) per module against its own tests, niced; ARGS='evaluate' runs one module
MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): requirements-mutation.txt $(STAMP)
	$(PY) $(PIP_INSTALL) -r requirements-mutation.txt
	touch $(MUTATION_STAMP)
mutation: $(MUTATION_STAMP)
	nice -n 10 $(PY) tests/mutation/runner.py $(ARGS)

## make pulumi: the real Pulumi CLI, built once from the pinned Go module tools/pulumi (needs Go) into .tools/bin
TOOLS := .tools/bin
PULUMI_CLI := $(TOOLS)/pulumi
pulumi: $(PULUMI_CLI)
$(PULUMI_CLI): tools/pulumi/go.mod tools/pulumi/go.sum tools/pulumi/build
	tools/pulumi/build $(TOOLS)

## make policy-venv: the policy pack's own virtualenv (policies/venv, as PulumiPolicy.yaml says), as the CLI uses it
POLICY_STAMP := policies/venv/.installed
policy-venv: $(POLICY_STAMP)
$(POLICY_STAMP): requirements-pip.txt policies/requirements.txt
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/python $(PIP_INSTALL) -r requirements-pip.txt
	policies/venv/bin/python $(PIP_INSTALL) -r policies/requirements.txt
	touch $(POLICY_STAMP)

## make conformance: the real engine end to end (preview, up, no-change preview, updates, refresh, destroy)
conformance: $(STAMP) $(PULUMI_CLI) $(POLICY_STAMP)
	$(PY) -m pytest tests/real_engine $(ARGS)

## make real-preview CONFIG=Pulumi.dev.yaml JSON=out.json: any stack file through the real `pulumi preview`
CONFIG ?= Pulumi.$(STACK).yaml
JSON ?= -
real-preview: $(STAMP) $(PULUMI_CLI) $(POLICY_STAMP)
	PYTHONPATH=tests $(PY) -m real_engine preview --config-file $(CONFIG) --json $(JSON) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache policies/venv .tools
