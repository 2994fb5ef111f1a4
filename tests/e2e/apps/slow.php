<?php
// 1 s on the server, then 200: what tests/e2e/apps.sh sends through nginx.
// A loop, not sleep(1): a signal to the worker (php-fpm's master passing on
// a stop) ends sleep() early, and the request would pass for finished.
$end = microtime(true) + 1;
while (($left = $end - microtime(true)) > 0) {
    usleep((int) ($left * 1e6));
}
echo "ok\n";
