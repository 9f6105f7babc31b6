terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # First apply: local state (the bucket does not exist yet). Then move this state into the
  # bucket with a backend override, as docs/deploy.md ("Bootstrap") shows.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
