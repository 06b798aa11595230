# Every target bootstraps .venv from the pinned requirements, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STACK ?= dev
ARGS ?=

.PHONY: preview diff simulate test lint bench mutation clean pulumi policy-venv conformance real-preview

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## make preview: the credential-free preview of the dev stack (resources, policy verdicts); STACK=name for another
preview: $(STAMP)
	$(PY) -m webex_scim preview --stack $(STACK) $(ARGS)

## make diff BASE=origin/main: the offline preview of this tree against a git ref, and what would change
BASE ?= origin/main
diff: $(STAMP)
	$(PY) -m webex_scim diff --stack $(STACK) --base $(BASE) $(ARGS)

## make simulate USERS=users.json: which users Webex gets, with what, and which not and why (USERS=graph: live)
USERS ?=
simulate: $(STAMP)
	@test -n "$(USERS)" || { echo "make simulate USERS=<users.json, e.g. from az ad user list> (or USERS=graph)" >&2; exit 2; }
	$(PY) -m webex_scim simulate --stack $(STACK) --users $(USERS) $(ARGS)

## make test: the whole test suite
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12  # the workflows: needs Go; the module proxy pins the version

## make bench: benchmarks (ratios on this machine), not tests
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

## make mutation: mutation testing (mutmut) per module against its own tests, niced; ARGS='evaluate' runs one module
MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): requirements-mutation.txt $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-mutation.txt
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
$(POLICY_STAMP): policies/requirements.txt
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
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
	rm -rf $(VENV) .pytest_cache .ruff_cache policies/venv .tools out/mutation
