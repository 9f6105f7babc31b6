# Cluster add-ons through the Helm provider: ingress, certificates, monitoring, service
# discovery, secrets sync and the metrics API the HPAs need. Chart versions are pinned.
locals {
  replicas = var.high_availability ? 3 : 1
}

resource "helm_release" "namespaces" {
  name       = "keel-namespaces"
  namespace  = "kube-system"
  repository = "https://bedag.github.io/helm-charts"
  chart      = "raw"
  version    = "2.0.0"
  values = [yamlencode({
    resources = [for ns, level in var.app_namespaces : {
      apiVersion = "v1"
      kind       = "Namespace"
      metadata = {
        name   = ns
        labels = { "pod-security.kubernetes.io/enforce" = level }
      }
    }]
  })]
}

resource "helm_release" "metrics_server" {
  name       = "metrics-server"
  namespace  = "kube-system"
  repository = "https://kubernetes-sigs.github.io/metrics-server"
  chart      = "metrics-server"
  version    = "3.12.2"
  values     = [yamlencode({ replicas = var.high_availability ? 2 : 1 })]
}

resource "helm_release" "ingress_nginx" {
  name             = "ingress-nginx"
  namespace        = "ingress-nginx"
  create_namespace = true
  repository       = "https://kubernetes.github.io/ingress-nginx"
  chart            = "ingress-nginx"
  version          = "4.13.0"
  values = [yamlencode({
    controller = {
      replicaCount = local.replicas
      service = {
        annotations = {
          "service.beta.kubernetes.io/aws-load-balancer-type"            = "nlb"
          "service.beta.kubernetes.io/aws-load-balancer-scheme"          = "internet-facing"
          "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type" = "ip"
        }
        externalTrafficPolicy = "Local"
      }
      config = {
        # X-Request-ID: the client's, or a generated one, passed upstream and logged.
        "generate-request-id"       = "true"
        "log-format-escape-json"    = "true"
        "log-format-upstream"       = "{\"time\":\"$time_iso8601\",\"request_id\":\"$req_id\",\"remote_addr\":\"$remote_addr\",\"method\":\"$request_method\",\"path\":\"$uri\",\"status\":$status,\"duration_s\":$request_time,\"upstream\":\"$upstream_addr\",\"upstream_status\":\"$upstream_status\"}"
        "limit-req-status-code"     = "429"
        "limit-conn-status-code"    = "429"
        "allow-snippet-annotations" = "false"
        "use-forwarded-headers"     = "false"
        "server-tokens"             = "false"
        "ssl-protocols"             = "TLSv1.2 TLSv1.3"
        "hsts"                      = "true"
        # One slow client must not hold the controller: a thousand half-open connections
        # from one address fit (per-address limits apply only once headers are complete),
        # and stalled headers or bodies are cut after 10 s instead of nginx's 60 s.
        "worker-processes"       = "auto"
        "max-worker-connections" = "16384"
        "client-header-timeout"  = "10"
        "client-body-timeout"    = "10"
        # A request an instance dropped while stopping is retried on another (idempotent
        # methods only: nginx never retries a POST whose request was sent).
        "proxy-next-upstream"       = "error timeout http_502 http_503"
        "proxy-next-upstream-tries" = "3"
      }
      metrics = {
        enabled        = true
        serviceMonitor = { enabled = true, additionalLabels = { release = "kube-prometheus-stack" } }
      }
      podDisruptionBudget = { enabled = var.high_availability, minAvailable = 1 }
    }
  })]
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "helm_release" "cert_manager" {
  name             = "cert-manager"
  namespace        = "cert-manager"
  create_namespace = true
  repository       = "https://charts.jetstack.io"
  chart            = "cert-manager"
  version          = "v1.18.2"
  values           = [yamlencode({ crds = { enabled = true }, replicaCount = var.high_availability ? 2 : 1 })]
}

resource "helm_release" "cluster_issuer" {
  name       = "letsencrypt-issuer"
  namespace  = "cert-manager"
  repository = "https://bedag.github.io/helm-charts"
  chart      = "raw"
  version    = "2.0.0"
  values = [yamlencode({
    resources = [{
      apiVersion = "cert-manager.io/v1"
      kind       = "ClusterIssuer"
      metadata   = { name = "letsencrypt" }
      spec = {
        acme = {
          email               = var.acme_email
          server              = "https://acme-v02.api.letsencrypt.org/directory"
          privateKeySecretRef = { name = "letsencrypt-account-key" }
          solvers             = [{ http01 = { ingress = { ingressClassName = "nginx" } } }]
        }
      }
    }]
  })]
  depends_on = [helm_release.cert_manager]
}

# The platform's internal CA for service-to-service mTLS (the chart's grpcTls.issuerRef): a
# self-signed root kept in cert-manager's namespace, and the ClusterIssuer that signs each
# service's certificate with it. Its key never leaves the cluster.
resource "helm_release" "internal_ca" {
  name       = "keel-internal-ca"
  namespace  = "cert-manager"
  repository = "https://bedag.github.io/helm-charts"
  chart      = "raw"
  version    = "2.0.0"
  values = [yamlencode({
    resources = [
      {
        apiVersion = "cert-manager.io/v1"
        kind       = "ClusterIssuer"
        metadata   = { name = "keel-selfsigned" }
        spec       = { selfSigned = {} }
      },
      {
        apiVersion = "cert-manager.io/v1"
        kind       = "Certificate"
        metadata   = { name = "keel-internal-ca", namespace = "cert-manager" }
        spec = {
          isCA        = true
          commonName  = "keel internal CA (${var.environment})"
          secretName  = "keel-internal-ca"
          duration    = "87600h"
          renewBefore = "8760h"
          privateKey  = { algorithm = "ECDSA", size = 256 }
          issuerRef   = { name = "keel-selfsigned", kind = "ClusterIssuer", group = "cert-manager.io" }
        }
      },
      {
        apiVersion = "cert-manager.io/v1"
        kind       = "ClusterIssuer"
        metadata   = { name = "keel-internal-ca" }
        spec       = { ca = { secretName = "keel-internal-ca" } }
      },
    ]
  })]
  depends_on = [helm_release.cert_manager]
}

resource "helm_release" "external_secrets" {
  name             = "external-secrets"
  namespace        = "external-secrets"
  create_namespace = true
  repository       = "https://charts.external-secrets.io"
  chart            = "external-secrets"
  version          = "0.19.0"
  values           = [yamlencode({ installCRDs = true, replicaCount = var.high_availability ? 2 : 1 })]
}

resource "helm_release" "consul" {
  name             = "consul"
  namespace        = "consul"
  create_namespace = true
  repository       = "https://helm.releases.hashicorp.com"
  chart            = "consul"
  version          = "1.7.0"
  values = [yamlencode({
    # ACLs on, default deny: every service gets its own token (modules/consul-acls); anonymous
    # requests can neither register a service nor read or write the KV store.
    global = {
      name       = "consul"
      datacenter = "keel-${var.environment}"
      acls       = { manageSystemACLs = true }
    }
    server = {
      replicas        = local.replicas
      bootstrapExpect = local.replicas
      extraConfig     = jsonencode({ acl = { default_policy = "deny", down_policy = "extend-cache" } })
    }
    connectInject = { enabled = false }
    ui            = { enabled = true, service = { type = "ClusterIP" } }
  })]
}
