variable "region" {
  description = "AWS region of the environment, e.g. eu-west-1."
  type        = string
}

variable "azs" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "The environment's VPC range (a /16)."
  type        = string
}

variable "ecr_registry" {
  description = "Image registry host (terraform/bootstrap output ecr_registry)."
  type        = string
}

variable "api_hostname" {
  description = "Public host name of the API."
  type        = string
}

variable "acme_email" {
  description = "Contact for Let's Encrypt."
  type        = string
}

variable "api_public_access_cidrs" {
  description = "Ranges allowed to the public Kubernetes API (CI runners, VPN)."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "IAM roles with cluster-admin access by short name: the SRE role and CI's keel-ci-deploy."
  type        = map(string)
}

variable "owner" {
  description = "Team that owns the environment (the owner tag)."
  type        = string
  default     = "platform"
}

variable "consul_address" {
  description = "Consul HTTP API as Terraform reaches it (a port-forward to consul-server)."
  type        = string
  default     = "127.0.0.1:8500"
}

variable "consul_management_token" {
  description = "Consul management token (the consul-bootstrap-acl-token Secret); TF_VAR_consul_management_token, never a file."
  type        = string
  sensitive   = true
  default     = null
}
