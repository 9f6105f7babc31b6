variable "environment" {
  description = "staging or production: names every resource keel-<environment>."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "region" {
  description = "AWS region, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "azs" {
  description = "The region's three availability zones used by the VPC."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 /16 of the environment's VPC (distinct per environment, for peering later)."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per zone (cheaper; staging)."
  type        = bool
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version, e.g. \"1.33\"."
  type        = string
}

variable "node_instance_types" {
  description = "EC2 instance types of the node group."
  type        = list(string)
}

variable "node_min_size" {
  description = "Fewest EKS nodes."
  type        = number
}

variable "node_max_size" {
  description = "Most EKS nodes."
  type        = number
}

variable "node_desired_size" {
  description = "EKS nodes at creation."
  type        = number
}

variable "api_public_access" {
  description = "Expose the Kubernetes API publicly (limited to api_public_access_cidrs)."
  type        = bool
}

variable "api_public_access_cidrs" {
  description = "Ranges allowed to the public Kubernetes API (CI runners, VPN)."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "IAM roles with cluster-admin access, by short name (SRE role, CI deploy role)."
  type        = map(string)
}

variable "managed_data_services" {
  description = "Provision RDS, Amazon MQ, ElastiCache and OpenSearch (production). False: the staging profile runs PostgreSQL, RabbitMQ and Redis in the cluster."
  type        = bool
}

variable "multi_az" {
  description = "Standbys and replicas in other zones for the managed data services."
  type        = bool
}

variable "deletion_protection" {
  description = "Protect the database from deletion."
  type        = bool
}

variable "postgres" {
  description = "RDS PostgreSQL sizing (used when managed_data_services)."
  type = object({
    engine_version           = string
    instance_class           = string
    allocated_storage_gb     = number
    max_allocated_storage_gb = number
    backup_retention_days    = number
  })
}

variable "rabbitmq" {
  description = "Amazon MQ sizing (used when managed_data_services)."
  type = object({
    engine_version = string
    instance_type  = string
  })
}

variable "redis" {
  description = "ElastiCache sizing (used when managed_data_services)."
  type = object({
    node_type               = string
    snapshot_retention_days = number
  })
}

variable "opensearch" {
  description = "OpenSearch sizing (used when managed_data_services)."
  type = object({
    engine_version = string
    instance_type  = string
    instance_count = number
    volume_size_gb = number
  })
}

variable "ecr_registry" {
  description = "Registry host of the images (output registry of terraform/bootstrap)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com$", var.ecr_registry))
    error_message = "ecr_registry must be an ECR registry host."
  }
}

variable "api_hostname" {
  description = "Public host name of the API (DNS points it at the ingress load balancer)."
  type        = string
}

variable "acme_email" {
  description = "Contact for Let's Encrypt."
  type        = string
}

variable "app_namespace" {
  description = "Namespace of the Helm release keel."
  type        = string
  default     = "keel"
}

variable "prometheus_retention" {
  description = "Prometheus retention, e.g. 15d."
  type        = string
}

variable "prometheus_storage_gb" {
  description = "Prometheus volume size in GiB."
  type        = number
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}

variable "media_upload_origins" {
  description = "Web origins allowed to POST product image uploads straight to the media bucket (CORS); mobile apps need none."
  type        = list(string)
  default     = []
}

variable "media_cdn" {
  description = "Serve product images through CloudFront with origin access control."
  type        = bool
  default     = true
}
