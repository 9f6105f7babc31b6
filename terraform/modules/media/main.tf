# Product images (#18): one private bucket. Clients upload straight to uploads/ with a
# presigned POST from core; core's worker reads them, writes images/ and deletes the upload.
# Reads go through CloudFront (origin access control) only: the bucket is never public.
resource "aws_s3_bucket" "media" {
  # checkov:skip=CKV_AWS_144:Images are re-creatable from the sellers; no cross-region copy
  # checkov:skip=CKV_AWS_18:CloudFront logs the reads; uploads are short-lived
  # checkov:skip=CKV2_AWS_62:No event notifications: core's own event starts the processing
  # checkov:skip=CKV_AWS_21:No versioning on purpose: a deleted upload (EXIF and GPS included) must really be gone
  # checkov:skip=CKV_AWS_145:SSE-S3 (AES256): CloudFront's origin access control reads it with no KMS key policy, and the images are public through the CDN anyway
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# SSE-S3 rather than the platform's KMS key: CloudFront's origin access control reads
# SSE-KMS objects only with a key policy grant per distribution, and nothing here is secret
# once processed (uploads live a day at most).
resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  # checkov:skip=CKV_AWS_21:No versioning on purpose: a deleted upload (EXIF and GPS included) must really be gone
  # checkov:skip=CKV_AWS_145:SSE-S3 on purpose (see above)
  bucket = aws_s3_bucket.media.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id
  versioning_configuration {
    # Keys are never reused; a deleted image must really go away (a seller's privacy).
    status = "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    id     = "expire-pending-uploads"
    status = "Enabled"
    filter {
      prefix = "uploads/"
    }
    expiration {
      days = var.pending_upload_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Presigned POSTs are single-part, but nothing else may leave parts behind either.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_cors_configuration" "media" {
  count  = min(length(var.upload_origins), 1)
  bucket = aws_s3_bucket.media.id
  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.upload_origins
    allowed_headers = ["*"]
    max_age_seconds = 3600
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.cdn ? [1] : []
    content {
      sid       = "CloudFrontReadsImages"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.media.arn}/images/*"]
      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [aws_cloudfront_distribution.media[0].arn]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket     = aws_s3_bucket.media.id
  policy     = data.aws_iam_policy_document.bucket.json
  depends_on = [aws_s3_bucket_public_access_block.media]
}

resource "aws_cloudfront_origin_access_control" "media" {
  count                             = var.cdn ? 1 : 0
  name                              = var.name
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "media" {
  # checkov:skip=CKV_AWS_68:No WAF in front of static, immutable images
  # checkov:skip=CKV2_AWS_32:AWS's managed SecurityHeadersPolicy is attached by id below; checkov only sees policy resources
  # checkov:skip=CKV_AWS_305:Serves images/ keys only; there is no root document to default to
  # checkov:skip=CKV_AWS_86:Access logging is configured with the platform's log bucket when there is one
  # checkov:skip=CKV_AWS_174:The default certificate enforces TLS 1.2 on *.cloudfront.net
  # checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate
  # checkov:skip=CKV2_AWS_47:No WAF (see above)
  # checkov:skip=CKV_AWS_310:One origin; S3 is regional and durable
  # checkov:skip=CKV_AWS_374:Images are sold worldwide
  count           = var.cdn ? 1 : 0
  enabled         = true
  comment         = "${var.name}: product images"
  price_class     = var.cdn_price_class
  is_ipv6_enabled = true
  tags            = var.tags

  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media[0].id
  }

  default_cache_behavior {
    target_origin_id       = "media"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = false
    # AWS managed policies: CachingOptimized, and SecurityHeadersPolicy (nosniff among them).
    cache_policy_id            = "658327ea-f89d-4fab-a63d-7e88639e58f6"
    response_headers_policy_id = "67f7725c-6f97-4210-82d7-5512b31e9d03"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# What core's service account may do: write and delete under uploads/ and images/, read
# uploads/, and list (so a missing upload is a 404, not a 403).
data "aws_iam_policy_document" "core" {
  statement {
    actions = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = [
      "${aws_s3_bucket.media.arn}/uploads/*",
      "${aws_s3_bucket.media.arn}/images/*",
    ]
  }
  # HeadObject has no s3:prefix context, so ListBucket cannot be narrowed by prefix here.
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]
  }
}
