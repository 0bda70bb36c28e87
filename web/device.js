// Success page: collects device details once and posts them to the server, best effort.
// The server (app/core/device.cpp) keeps only the fields named here, checks their types and
// caps them, and adds the IP and the parsed user agent itself. No dependencies, no eval and
// no inline handlers, so it runs under a strict Content-Security-Policy.
(function () {
  'use strict';

  var TIMEOUT_MS = 4000;

  // Each piece on its own: a browser that blocks one API must not cost us the others.
  function attempt(read) {
    try {
      return read();
    } catch (e) {
      return undefined;
    }
  }

  function webglRenderer() {
    var canvas = document.createElement('canvas');
    var gl = canvas.getContext('webgl') || canvas.getContext('experimental-webgl');
    if (!gl) return undefined;
    // Firefox drops the extension but answers RENDERER with the same (sanitised) name.
    var info = gl.getExtension('WEBGL_debug_renderer_info');
    var renderer = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
    var lose = gl.getExtension('WEBGL_lose_context');
    if (lose) lose.loseContext();
    return renderer;
  }

  function clientHints() {
    var uad = navigator.userAgentData;
    if (!uad) return undefined;
    var hints = {
      brands: (uad.brands || []).map(function (b) { return { brand: b.brand, version: b.version }; }),
      mobile: uad.mobile
    };
    var highEntropy = function () { return uad.getHighEntropyValues(['platformVersion']); };
    return settle(highEntropy, 1500).then(function (values) {
      if (values) hints.platformVersion = values.platformVersion;
      return hints;
    });
  }

  // Only when the target already granted the permission: this page never prompts.
  function geolocation() {
    if (!navigator.permissions || !navigator.geolocation) return Promise.resolve(undefined);
    return navigator.permissions.query({ name: 'geolocation' }).then(function (status) {
      if (status.state !== 'granted') return undefined;
      return new Promise(function (resolve) {
        navigator.geolocation.getCurrentPosition(function (position) {
          resolve({
            latitude: position.coords.latitude,
            longitude: position.coords.longitude,
            accuracy: position.coords.accuracy
          });
        }, function () {
          resolve(undefined);
        }, { timeout: 2000, maximumAge: 600000 });
      });
    });
  }

  // Never rejects (a synchronous throw included) and gives up after `ms`.
  function settle(start, ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(resolve, ms);
      Promise.resolve().then(start).then(function (value) {
        clearTimeout(timer);
        resolve(value);
      }, function () {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  function collect() {
    var report = {
      screenWidth: attempt(function () { return screen.width; }),
      screenHeight: attempt(function () { return screen.height; }),
      colorDepth: attempt(function () { return screen.colorDepth; }),
      timezone: attempt(function () { return Intl.DateTimeFormat().resolvedOptions().timeZone; }),
      language: attempt(function () { return navigator.language; }),
      languages: attempt(function () { return Array.from(navigator.languages || []).slice(0, 10); }),
      platform: attempt(function () { return navigator.platform; }),
      hardwareConcurrency: attempt(function () { return navigator.hardwareConcurrency; }),
      deviceMemory: attempt(function () { return navigator.deviceMemory; }),
      maxTouchPoints: attempt(function () { return navigator.maxTouchPoints; }),
      webglRenderer: attempt(webglRenderer)
    };
    return Promise.all([settle(clientHints, 2000), settle(geolocation, 2500)]).then(function (results) {
      report.clientHints = results[0];
      report.geolocation = results[1];
      return report;  // JSON.stringify drops the undefined members
    });
  }

  function finish(state, message) {
    document.body.dataset.deviceState = state;
    var status = document.getElementById('device-status');
    if (status) status.textContent = message;
  }

  function send(report) {
    var url = document.body.dataset.deviceUrl;
    if (!url) return Promise.reject(new Error('no device URL'));
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'X-CSRF-Token': document.body.dataset.csrf || ''
      },
      body: JSON.stringify(report),
      signal: controller.signal
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
    }).finally(function () {
      clearTimeout(timer);
    });
  }

  var started = false;
  function run() {
    if (started) return;
    started = true;
    collect().then(send).then(function () {
      finish('sent', 'Device details recorded. You can close this window.');
    }).catch(function () {
      // Best effort: the challenge is verified either way (contract, "Verification").
      finish('failed', 'Verification complete. Device details could not be recorded.');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', run, { once: true });
  } else {
    run();
  }
})();
