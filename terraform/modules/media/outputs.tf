output "bucket" {
  description = "Bucket name (core's MEDIA_BUCKET)."
  value       = aws_s3_bucket.media.id
}

output "public_url" {
  description = "Where processed images are read (core's MEDIA_PUBLIC_URL), with a trailing slash."
  value       = var.cdn ? "https://${aws_cloudfront_distribution.media[0].domain_name}/" : "https://${aws_s3_bucket.media.bucket_regional_domain_name}/"
}

output "core_policy_json" {
  description = "IAM policy document for core's IRSA role."
  value       = data.aws_iam_policy_document.core.json
}
