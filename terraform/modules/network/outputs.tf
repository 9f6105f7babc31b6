output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Subnets of the EKS nodes, one per zone."
  value       = module.vpc.private_subnets
}

output "public_subnet_ids" {
  description = "Subnets of the internet-facing load balancers, one per zone."
  value       = module.vpc.public_subnets
}

output "data_subnet_ids" {
  description = "Subnets of the managed data services, one per zone."
  value       = module.vpc.database_subnets
}

output "data_subnet_cidrs" {
  description = "Ranges of the data subnets: the egress targets of the application's NetworkPolicy."
  value       = local.data
}

output "private_subnet_cidrs" {
  description = "Ranges of the node subnets: the sources the data services accept."
  value       = local.private
}
