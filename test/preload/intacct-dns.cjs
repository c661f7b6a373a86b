// Makes every *.intacct.com host name resolve to 127.0.0.1, so the official SDK (which refuses any
// other host name) can reach a local emulator. Load with `node --require` or require() it in a test.
const dns = require('node:dns');

const INTACCT = /(^|\.)intacct\.com\.?$/i;

if (!dns.lookup.__intacctPatched) {
  const original = dns.lookup;
  const patched = function lookup(hostname, options, callback) {
    let cb = callback;
    let opts = options;
    if (typeof opts === 'function') {
      cb = opts;
      opts = {};
    }
    if (typeof hostname === 'string' && INTACCT.test(hostname)) {
      const all = typeof opts === 'object' && opts !== null && opts.all;
      if (all) process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
      else process.nextTick(cb, null, '127.0.0.1', 4);
      return {};
    }
    return original.call(this, hostname, options, callback);
  };
  patched.__intacctPatched = true;
  dns.lookup = patched;

  const originalPromise = dns.promises.lookup;
  dns.promises.lookup = function lookup(hostname, options) {
    if (typeof hostname === 'string' && INTACCT.test(hostname)) {
      const all = typeof options === 'object' && options !== null && options.all;
      return Promise.resolve(
        all ? [{ address: '127.0.0.1', family: 4 }] : { address: '127.0.0.1', family: 4 },
      );
    }
    return originalPromise.call(this, hostname, options);
  };
}
