# Consul ACLs, default deny (the consul release in addons runs with manageSystemACLs and
# acl.default_policy = deny): one policy and one token per service. A service may register
# and deregister only itself, read the catalogue and health of the others (to resolve them)
# and read only the KV keys it is given (core: the app-version thresholds). Nobody but the
# operators' management token can register a fake "auth" or rewrite a threshold. Each token
# is kept in <secret_prefix>/consul-<service> as {"CONSUL_HTTP_TOKEN": ...}, which the chart
# adds to that service's Secret (discovery.consulAcl).
resource "consul_acl_policy" "service" {
  for_each = var.services

  name        = "${var.name}-${each.key}"
  description = "Keel ${each.key}: register itself, resolve the others, read its own keys"
  rules = join("\n", concat(
    [
      "service \"${each.key}\" { policy = \"write\" }",
      "service_prefix \"\" { policy = \"read\" }",
      "node_prefix \"\" { policy = \"read\" }",
      "agent_prefix \"\" { policy = \"read\" }",
    ],
    [for key in each.value.read_keys : "key \"${key}\" { policy = \"read\" }"],
  ))
}

resource "consul_acl_token" "service" {
  for_each = var.services

  description = "Keel ${each.key} (${var.name})"
  policies    = [consul_acl_policy.service[each.key].name]
  local       = false
}

data "consul_acl_token_secret_id" "service" {
  for_each = var.services

  accessor_id = consul_acl_token.service[each.key].id
}

resource "aws_secretsmanager_secret" "service" {
  # checkov:skip=CKV2_AWS_57:Consul tokens are rotated by Terraform (taint the token), docs/deploy.md
  for_each = var.services

  name                    = "${var.secret_prefix}/consul-${each.key}"
  description             = "Consul ACL token of ${each.key} in ${var.name}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "service" {
  for_each = var.services

  secret_id = aws_secretsmanager_secret.service[each.key].id
  secret_string = jsonencode({
    CONSUL_HTTP_TOKEN = data.consul_acl_token_secret_id.service[each.key].secret_id
  })
}
