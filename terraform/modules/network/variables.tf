variable "name" {
  description = "Name of the VPC and prefix of its subnets, e.g. keel-production."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 range of the VPC; a /16 leaves room for nine /20 subnets (private, public, data in each zone)."
  type        = string

  validation {
    condition     = can(regex("^10\\.[0-9]{1,3}\\.0\\.0/16$", var.cidr))
    error_message = "cidr must be a 10.x.0.0/16 range."
  }
}

variable "azs" {
  description = "Exactly three availability zones of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = contains([3], length(var.azs))
    error_message = "azs must list exactly three availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (cheaper, staging) instead of one per zone (production)."
  type        = bool
}

variable "cluster_name" {
  description = "EKS cluster that will run in the VPC; its name tags the subnets for load balancer discovery."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch."
  type        = number
  default     = 90

  validation {
    condition     = contains([30, 60, 90, 180, 365], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of 30, 60, 90, 180, 365."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
