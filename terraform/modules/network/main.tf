# A VPC across three zones: public subnets for the load balancers and NAT, private subnets for
# the EKS nodes, data subnets for RDS, Amazon MQ, ElastiCache and OpenSearch.
locals {
  # Nine /20 ranges out of the /16: private, public and data subnets, one of each per zone.
  subnets = cidrsubnets(var.cidr, 4, 4, 4, 4, 4, 4, 4, 4, 4)
  private = slice(local.subnets, 0, 3)
  public  = slice(local.subnets, 3, 6)
  data    = slice(local.subnets, 6, 9)
}

module "vpc" {
  # checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry has no commit hashes
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.21.0"

  name = var.name
  cidr = var.cidr
  azs  = var.azs

  private_subnets  = local.private
  public_subnets   = local.public
  database_subnets = local.data

  # The data services create their own subnet groups from the data subnets.
  create_database_subnet_group       = false
  create_database_subnet_route_table = true

  enable_nat_gateway   = true
  single_nat_gateway   = var.single_nat_gateway
  enable_dns_hostnames = true
  enable_dns_support   = true

  # Nothing may use the default security group: it denies everything.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []

  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_max_aggregation_interval               = 60
  flow_log_cloudwatch_log_group_retention_in_days = var.flow_log_retention_days

  public_subnet_tags = {
    "kubernetes.io/role/elb"                    = "1"
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb"           = "1"
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  }

  tags = var.tags
}
