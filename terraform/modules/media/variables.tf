variable "name" {
  description = "Bucket name (globally unique), e.g. keel-production-media-<account id>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name."
  }
}

variable "upload_origins" {
  description = "Origins (https://app.example.com) whose browsers may POST uploads straight to the bucket (CORS)."
  type        = list(string)
  default     = []
}

variable "pending_upload_days" {
  description = "Days after which an object under uploads/ (never completed or never processed) is deleted; core's sweep job removes the rows."
  type        = number
  default     = 1

  validation {
    condition     = contains(range(1, 366), var.pending_upload_days)
    error_message = "pending_upload_days must be a whole number from 1 to 365."
  }
}

variable "cdn" {
  description = "Serve images/ through CloudFront with origin access control (otherwise the bucket stays private and media_public_url must point at another CDN)."
  type        = bool
  default     = true
}

variable "cdn_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects (staging only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
