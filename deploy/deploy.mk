# Ship it: images, chart, deploys, Terraform, checkov. Included by the root Makefile; the CI
# jobs in .gitlab-ci.yml call these targets, so every pipeline step runs the same locally.
# SRE guide: docs/deploy.md.

ENV             ?= staging
SERVICES        ?= auth core notification search
AWS_REGION      ?= eu-west-1
# Image registry host: terraform/bootstrap output ecr_registry (CI variable IMAGE_REGISTRY).
IMAGE_REGISTRY  ?= registry.example.com
IMAGE_PREFIX    ?= keel
IMAGE_TAG       ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
PUSH            ?= false
# tcp://host:1234 of a (rootless) BuildKit daemon; empty uses the local docker buildx builder.
BUILDKIT_HOST   ?=
RELEASE         ?= keel
NAMESPACE       ?= keel
HELM            ?= helm
TERRAFORM       ?= terraform
# S3 bucket of the Terraform state: terraform/bootstrap output state_bucket.
TF_STATE_BUCKET ?=
CHECKOV_VERSION := 3.3.30
# checkov's own virtualenv, outside the checkout and named by its version: every clone on a
# machine shares one install (a fresh clone paid 37 s of pip for it on every CI run).
TOOLS_DIR       ?= $(HOME)/.cache/keel-tools
CHECKOV_VENV    ?= $(TOOLS_DIR)/checkov-$(CHECKOV_VERSION)
export CHECKOV_VENV
UV              ?= uv

CHART        := deploy/helm/keel
TF_DIR       := terraform/envs/$(ENV)
INFRA_VALUES := var/infra-$(ENV).yaml
# Staging's in-cluster data services (deploy/helm/dependencies), pinned chart versions.
BITNAMI_CHARTS           := oci://registry-1.docker.io/bitnamicharts
POSTGRESQL_CHART_VERSION := 16.7.21
RABBITMQ_CHART_VERSION   := 16.0.11
REDIS_CHART_VERSION      := 21.2.13

.PHONY: images images-podman registry-login scan-images helm-lint helm-template kubeconfig deploy \
	deploy-deps rollback infra-values tf-init tf-plan tf-apply checkov checkov-venv check-env

check-env:
	@case "$(ENV)" in staging|production) ;; \
	  *) echo "ENV must be staging or production (got '$(ENV)')" >&2; exit 1;; esac

images: ## Build every service image (docker buildx, or podman where docker is missing; PUSH=true pushes)
	@if ! command -v docker >/dev/null 2>&1; then $(MAKE) --no-print-directory images-podman; exit $$?; fi; \
	if [ -n "$(BUILDKIT_HOST)" ]; then \
	  docker buildx create --name keel-remote --driver remote "$(BUILDKIT_HOST)" --use 2>/dev/null \
	    || docker buildx use keel-remote; fi; \
	for svc in $(SERVICES); do \
	  echo "building $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG)"; \
	  docker buildx build --file docker/Dockerfile --build-arg SERVICE=$$svc \
	    --tag $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG) \
	    --label org.opencontainers.image.revision=$(IMAGE_TAG) \
	    $(if $(filter true,$(PUSH)),--push,--load) . || exit 1; \
	done

# podman/buildah as root on machines without docker (docker/podman/containers.conf). Where no
# registry is reachable, scripts/container-bases.sh builds stand-ins for the base images.
images-podman: ## build every service's image with podman/buildah (stand-in bases where no registry answers)
	@export CONTAINERS_CONF=$(CURDIR)/docker/podman/containers.conf BUILDAH_ISOLATION=chroot; \
	scripts/container-bases.sh && for svc in $(SERVICES); do \
	  echo "building $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG) (podman)"; \
	  podman build --layers --file docker/Dockerfile --build-arg SERVICE=$$svc \
	    --tag $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG) \
	    --label org.opencontainers.image.revision=$(IMAGE_TAG) . || exit 1; \
	  if [ "$(PUSH)" = true ]; then podman push $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG) || exit 1; fi; \
	done

registry-login: ## Log docker in to the ECR registry IMAGE_REGISTRY (AWS credentials from the environment)
	aws ecr get-login-password --region $(AWS_REGION) \
	  | docker login --username AWS --password-stdin $(IMAGE_REGISTRY)

scan-images: ## Scan the pushed images with trivy; fails on fixable HIGH or CRITICAL CVEs
	@for svc in $(SERVICES); do \
	  trivy image --exit-code 1 --severity HIGH,CRITICAL --ignore-unfixed --no-progress \
	    $(IMAGE_REGISTRY)/$(IMAGE_PREFIX)-$$svc:$(IMAGE_TAG) || exit 1; \
	done

helm-lint: ## Lint the chart strictly for every values profile (offline, Helm via helm-python-sdk)
	uv run python deploy/render_manifests.py --lint

helm-template: ## Render the chart for every profile into var/rendered/ (and ENV's into var/rendered/ENV.yaml)
	uv run python deploy/render_manifests.py --all --out-dir var/rendered
	uv run python deploy/render_manifests.py --env $(ENV) --out var/rendered/$(ENV).yaml

kubeconfig: check-env ## Point kubectl and helm at the EKS cluster keel-ENV
	aws eks update-kubeconfig --name keel-$(ENV) --region $(AWS_REGION)

deploy: check-env ## helm upgrade --install --atomic --wait the platform (ENV=staging|production IMAGE_TAG=<sha>)
	@test -f $(INFRA_VALUES) || { echo "$(INFRA_VALUES) is missing: run make infra-values ENV=$(ENV)" >&2; exit 1; }
	$(HELM) upgrade --install $(RELEASE) $(CHART) --namespace $(NAMESPACE) \
	  --values $(CHART)/values-$(ENV).yaml --values $(INFRA_VALUES) \
	  --set image.tag=$(IMAGE_TAG) \
	  --atomic --wait --timeout 15m --history-max 20

deploy-deps: check-env ## Install staging's in-cluster PostgreSQL, RabbitMQ and Redis into keel-data (ENV=staging)
	@test "$(ENV)" = staging || { echo "deploy-deps is for staging; production uses managed services" >&2; exit 1; }
	$(HELM) upgrade --install keel-postgresql $(BITNAMI_CHARTS)/postgresql --version $(POSTGRESQL_CHART_VERSION) \
	  --namespace keel-data --values deploy/helm/dependencies/postgresql.yaml --wait --timeout 10m
	$(HELM) upgrade --install keel-rabbitmq $(BITNAMI_CHARTS)/rabbitmq --version $(RABBITMQ_CHART_VERSION) \
	  --namespace keel-data --values deploy/helm/dependencies/rabbitmq.yaml --wait --timeout 10m
	$(HELM) upgrade --install keel-redis $(BITNAMI_CHARTS)/redis --version $(REDIS_CHART_VERSION) \
	  --namespace keel-data --values deploy/helm/dependencies/redis.yaml --wait --timeout 10m

rollback: check-env ## Roll the release back to the previous revision (or REVISION=n; see helm history)
	$(HELM) rollback $(RELEASE) $(REVISION) --namespace $(NAMESPACE) --wait --timeout 15m

infra-values: tf-init ## Write ENV's Terraform output helm_values to var/infra-ENV.yaml for make deploy
	@mkdir -p var
	$(TERRAFORM) -chdir=$(TF_DIR) output -raw helm_values > $(INFRA_VALUES)

tf-init: check-env ## terraform init ENV's root against the S3 state (TF_STATE_BUCKET, AWS_REGION)
	@test -n "$(TF_STATE_BUCKET)" || { echo "set TF_STATE_BUCKET (terraform/bootstrap output state_bucket)" >&2; exit 1; }
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false \
	  -backend-config="bucket=$(TF_STATE_BUCKET)" -backend-config="region=$(AWS_REGION)"

tf-plan: tf-init ## terraform plan ENV into terraform/envs/ENV/tfplan
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false -out=tfplan

tf-apply: tf-init ## terraform apply the plan saved by make tf-plan for ENV
	$(TERRAFORM) -chdir=$(TF_DIR) apply -input=false tfplan

checkov-venv: $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION) ## Create CHECKOV_VENV (~/.cache/keel-tools/checkov-VERSION) with checkov==CHECKOV_VERSION

# checkov pins old versions of packages the workspace shares, so it lives apart from .venv.
# `uv venv --seed` gives the venv its own pip even where Debian lacks python3-venv; the seeded
# wheel package is unused and conflicts with checkov's pins, so it goes.
$(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION):
	rm -rf $(CHECKOV_VENV)
	$(UV) venv --quiet --seed --python 3.11 $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip uninstall --quiet --yes wheel
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

checkov: checkov-venv helm-template ## Scan terraform/, the rendered chart and the Dockerfile with checkov (offline)
	$(CHECKOV_VENV)/bin/checkov --config-file deploy/checkov.yaml
