terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
    consul = {
      source  = "hashicorp/consul"
      version = "2.21.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.0.2"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }

  # bucket and region come from `make tf-plan` (-backend-config), so one file serves every
  # account; S3 lock files (use_lockfile) serialise concurrent runs.
  backend "s3" {
    key          = "staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
