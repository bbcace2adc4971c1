//! Catalog source reading a directory of `catalog-info.yaml` files (multi-document YAML).
