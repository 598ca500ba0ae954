"""`make bench`: every figure the issues budget, printed."""

from bench import audio, bundles, chat, cold_start, comprehension, end_to_end, ml_loop, ocr, vision, webhooks

if __name__ == "__main__":
    for benchmark in (cold_start, bundles, end_to_end, ocr, comprehension, vision, audio, chat, webhooks, ml_loop):
        benchmark.main()
        print()
