variable "name" {
  description = "Name of the resources, e.g. keel-production."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,27}$", var.name))
    error_message = "name must be 3-28 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the service."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets, one per zone."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect (the EKS nodes')."
  type        = list(string)
}

variable "multi_az" {
  description = "Run standbys or replicas in other zones with automatic failover (production)."
  type        = bool
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the data at rest."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}

variable "engine_version" {
  description = "RabbitMQ version offered by Amazon MQ, e.g. \"3.13\"."
  type        = string
}

variable "instance_type" {
  description = "Broker instance type, e.g. mq.t3.micro (staging) or mq.m5.large (production)."
  type        = string

  validation {
    condition     = can(regex("^mq\\.", var.instance_type))
    error_message = "instance_type must be an Amazon MQ type such as mq.m5.large."
  }
}

variable "secret_prefix" {
  description = "Secrets Manager path under which the admin credentials are stored, e.g. keel/production."
  type        = string
}

variable "services" {
  description = "Services that each get their own broker user (and password secret)."
  type        = list(string)

  validation {
    condition     = alltrue([for name in var.services : can(regex("^[a-z][a-z0-9-]*$", name))])
    error_message = "services must be lowercase names."
  }
}
