variable "name" {
  description = "Name of the EKS cluster, e.g. keel-production."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,38}$", var.name))
    error_message = "name must be 3-39 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and node groups, e.g. \"1.33\"."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.33."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (one per zone) for the nodes and the control plane's network interfaces."
  type        = list(string)
}

variable "endpoint_public_access" {
  description = "Whether the Kubernetes API also has a public endpoint (limited to endpoint_public_access_cidrs); false keeps it private to the VPC."
  type        = bool
}

variable "endpoint_public_access_cidrs" {
  description = "Ranges allowed to reach the public Kubernetes API endpoint (CI runners, the office VPN)."
  type        = list(string)

  validation {
    condition     = alltrue([for cidr in var.endpoint_public_access_cidrs : can(cidrnetmask(cidr))])
    error_message = "endpoint_public_access_cidrs must be IPv4 CIDR ranges."
  }
}

variable "node_instance_types" {
  description = "EC2 instance types of the managed node group, in order of preference."
  type        = list(string)
}

variable "node_min_size" {
  description = "Fewest nodes in the managed node group."
  type        = number
}

variable "node_max_size" {
  description = "Most nodes in the managed node group."
  type        = number
}

variable "node_desired_size" {
  description = "Nodes at creation (the cluster autoscaler or Karpenter moves it afterwards)."
  type        = number
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin access, by a short name (e.g. sre, ci-deploy)."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key that encrypts Kubernetes Secrets in etcd and the node volumes."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
