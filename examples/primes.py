"""Prime numbers: a small real program that `scripts/setup.sh` completes with infilld's
default model (the cursor is on the empty line inside the loop of is_prime)."""
import sys


def is_prime(n):
    if n < 2:
        return False
    for d in range(2, int(n ** 0.5) + 1):
        
    return True


def primes_below(limit):
    return [n for n in range(limit) if is_prime(n)]


if __name__ == "__main__":
    print(primes_below(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
