package io.custos.state;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Concurrent tasks released at one instant, for tests of atomicity. */
final class Races {
  private Races() {}

  /** Runs {@code task.apply(i)} for i in 0..threads-1 on {@code pool}, all released together; returns each result. */
  static <T> List<T> run(ExecutorService pool, int threads, IntFunction<Callable<T>> task) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Callable<T> t = task.apply(i);
      futures.add(pool.submit(() -> {
        start.await();
        return t.call();
      }));
    }
    start.countDown();
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      results.add(f.get());
    }
    return results;
  }
}
