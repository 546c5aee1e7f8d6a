"""Old ``ray.util`` import paths (``ray.util.iter``, ``ray.util.iter_metrics``) mapped to rlcore."""
