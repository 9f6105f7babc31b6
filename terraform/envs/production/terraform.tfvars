# Non-secret settings of production. Replace the example account, registry and host names.
region                  = "eu-west-1"
azs                     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr                = "10.20.0.0/16"
ecr_registry            = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
api_hostname            = "api.keel.example.com"
acme_email              = "sre@keel.example.com"
api_public_access_cidrs = ["203.0.113.0/24"]
admin_role_arns = {
  sre       = "arn:aws:iam::123456789012:role/keel-sre"
  ci-deploy = "arn:aws:iam::123456789012:role/keel-ci-deploy"
}
