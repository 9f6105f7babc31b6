# Amazon MQ for RabbitMQ: a three-node cluster across zones in production, one broker in
# staging. Clients connect over AMQPS (5671). The admin credentials live in Secrets Manager;
# each service gets its own user, whose password Terraform makes here and keeps in
# <secret_prefix>/rabbitmq-<service>; the chart creates the user and its permissions through
# the broker's management API (RabbitMQ Messaging Topology Operator, templates/broker-users.yaml):
# it may publish on the events exchange only the routing keys of its own events.
resource "random_password" "admin" {
  length  = 32
  special = false # Amazon MQ refuses , : = in passwords
}

resource "aws_secretsmanager_secret" "admin" {
  # checkov:skip=CKV2_AWS_57:Amazon MQ has no rotation integration; the admin password is rotated by hand (docs/deploy.md)
  name                    = "${var.secret_prefix}/rabbitmq-admin"
  description             = "Amazon MQ admin user of ${var.name}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "admin" {
  secret_id     = aws_secretsmanager_secret.admin.id
  secret_string = jsonencode({ username = "keel_admin", password = random_password.admin.result })
}

resource "random_password" "service" {
  for_each = toset(var.services)

  length  = 32
  special = false # Amazon MQ refuses , : = in passwords
}

resource "aws_secretsmanager_secret" "service" {
  # checkov:skip=CKV2_AWS_57:Broker user passwords are rotated by Terraform (taint the random_password), docs/deploy.md
  for_each = toset(var.services)

  name                    = "${var.secret_prefix}/rabbitmq-${each.key}"
  description             = "Amazon MQ user of ${each.key} in ${var.name}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "service" {
  for_each = toset(var.services)

  secret_id = aws_secretsmanager_secret.service[each.key].id
  secret_string = jsonencode({
    username = each.key
    password = random_password.service[each.key].result
  })
}

resource "aws_security_group" "this" {
  name        = "${var.name}-rabbitmq"
  description = "Amazon MQ for ${var.name}: only the EKS nodes connect"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "amqps" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "AMQPS from the cluster"
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
  referenced_security_group_id = each.value
}

# The management API (HTTPS), for the topology operator that manages the services' users.
resource "aws_vpc_security_group_ingress_rule" "management" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "RabbitMQ management API from the cluster"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_mq_broker" "this" {
  # checkov:skip=CKV_AWS_209:Amazon MQ for RabbitMQ supports only AWS-owned encryption keys
  broker_name        = var.name
  engine_type        = "RabbitMQ"
  engine_version     = var.engine_version
  host_instance_type = var.instance_type
  deployment_mode    = var.multi_az ? "CLUSTER_MULTI_AZ" : "SINGLE_INSTANCE"
  subnet_ids         = var.multi_az ? var.subnet_ids : slice(var.subnet_ids, 0, 1)
  security_groups    = [aws_security_group.this.id]

  publicly_accessible        = false
  auto_minor_version_upgrade = true
  apply_immediately          = false

  encryption_options {
    use_aws_owned_key = true
  }

  logs {
    general = true
  }

  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "04:00"
    time_zone   = "UTC"
  }

  user {
    username = "keel_admin"
    password = random_password.admin.result
  }

  tags = var.tags
}
