"""`make bench`: every figure the issues budget, printed."""

from bench import bundles, cold_start, end_to_end, webhooks

if __name__ == "__main__":
    cold_start.main()
    print()
    bundles.main()
    print()
    end_to_end.main()
    print()
    webhooks.main()
