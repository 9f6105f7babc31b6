provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# The add-ons go into the cluster this root creates; credentials come from `aws eks get-token`.
provider "helm" {
  kubernetes = {
    host                   = module.platform.cluster_endpoint
    cluster_ca_certificate = base64decode(module.platform.cluster_certificate_authority_data)
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.platform.cluster_name, "--region", var.region]
    }
  }
}

# Consul's ACLs (modules/consul-acls) are made through its HTTP API, inside the cluster:
# `kubectl -n consul port-forward svc/consul-server 8500` and the management token that
# consul-k8s bootstrapped (docs/deploy.md, "Trust inside").
provider "consul" {
  address = var.consul_address
  token   = var.consul_management_token
}
