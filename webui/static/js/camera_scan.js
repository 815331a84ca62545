/* One camera scan into a <video>: BarcodeDetector where the browser has it (Chrome on
 * Android), elsewhere the vendored zxing decoder (loaded only now), as on the phone page
 * (js/phone.js). Cameras need a secure context (HTTPS or localhost). Resolves with the code,
 * or null when the scan was stopped (a tap on the video); rejects when no camera can be used.
 * Tracking numbers are Code 128 / Code 39 barcodes or QR codes on the parcel label. */
"use strict";
(function () {
  const TB = window.TB;
  const FORMATS = ["code_128", "code_39", "ean_13", "qr_code"];

  TB.cameraScan = async function (video) {
    if (!window.isSecureContext || !navigator.mediaDevices) throw new Error("no camera");
    video.hidden = false;
    try {
      if (!("BarcodeDetector" in window)) {
        if (!window.ZXing) await TB.loadScript("/static/vendor/zxing/zxing.min.js");
        const reader = new window.ZXing.BrowserMultiFormatReader();
        video.onclick = () => reader.reset();
        try {
          const result = await reader.decodeOnceFromVideoDevice(undefined, video);
          return result.getText();
        } finally { reader.reset(); }
      }
      const supported = await window.BarcodeDetector.getSupportedFormats().catch(() => FORMATS);
      const formats = FORMATS.filter((f) => supported.includes(f));
      const detector = new window.BarcodeDetector({formats: formats.length ? formats : FORMATS});
      const stream = await navigator.mediaDevices.getUserMedia(
        {video: {facingMode: "environment"}});
      video.srcObject = stream;
      await video.play();
      return await new Promise((resolve) => {
        let stopped = false;
        const stop = (code) => {
          if (stopped) return;
          stopped = true;
          stream.getTracks().forEach((tr) => tr.stop());
          resolve(code);
        };
        video.onclick = () => stop(null);
        const tick = async () => {
          if (stopped) return;
          const codes = await detector.detect(video).catch(() => []);
          if (codes.length) return stop(codes[0].rawValue);
          requestAnimationFrame(tick);
        };
        tick();
      });
    } finally {
      video.hidden = true;
      video.onclick = null;
    }
  };
})();
