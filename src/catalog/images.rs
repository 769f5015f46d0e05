//! Product images, stored in the data file so that a backup stays one file. An upload is
//! decoded and shrunk to three JPEG sizes (`SIZES`, longest side, never upscaled) by
//! `prepare_image` outside the write transaction; `add_image` then only stores the result.
//!
//! Layout: `IMAGES` (company, product, image) → metadata with the display order; `IMAGE_BYTES`
//! (company, image, size px) → the JPEG of that size. Both rows of an image are written and
//! removed in one transaction; `verify` checks every metadata row has all its sizes and that no
//! bytes row is orphaned.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::store::PRODUCTS;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, ImageId, ProductId};
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Longest side, in pixels, of each stored size; also the size tag in URLs and keys.
pub const SIZES: [u32; 3] = [96, 320, 1024];
/// Images one product may have.
pub const MAX_PER_PRODUCT: usize = 10;
/// Pixel budget of any uploaded image (40 megapixels: a 7,700 × 5,200 photo). A larger one is
/// refused from its header, before any pixel is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side of an uploaded image, within the pixel budget.
pub const MAX_SIDE: u32 = 12_000;
/// What a decoder may allocate: four bytes (RGBA8) per pixel of the budget, so a header that
/// lies about the size, or a 16-bit image at the budget, cannot allocate more.
const MAX_ALLOC: u64 = MAX_PIXELS * 4;
/// Longest side of a stored company logo (re-encoded as PNG).
pub const LOGO_SIDE: u32 = 512;

pub const IMAGES: Table<(u64, u64, u64), ImageMeta> = Table::new("company_productid_imageid_image");
pub const IMAGE_BYTES: Table<(u64, u64, u64), ImageBytes> = Table::new("company_imageid_size_imagebytes");

pub fn tables() -> Vec<TableInfo> {
    vec![
        IMAGES.info("(CompanyId, ProductId, ImageId)", "product image metadata: order, content hash, stored sizes"),
        IMAGE_BYTES.info("(CompanyId, ImageId, size px 96|320|1024)", "JPEG bytes of one size of a product image"),
    ]
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageMeta {
    pub id: ImageId,
    pub product: ProductId,
    /// Display position; 0 is the main image. Kept dense (0..n) by every write.
    pub order: u32,
    /// Hex SHA-256 prefix of the uploaded bytes: the ETag of every size.
    pub hash: String,
    /// Dimensions of the original upload.
    pub width: u32,
    pub height: u32,
    /// The stored sizes: (tag, width, height, bytes).
    pub sizes: Vec<(u32, u32, u32, u32)>,
    pub created: Ts,
}

impl Record for ImageMeta {
    const TYPE: &'static str = "image_meta.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageBytes {
    pub bytes: Vec<u8>,
}

impl Record for ImageBytes {
    const TYPE: &'static str = "image_bytes.v1";
}

/// An upload decoded and resized, ready to store.
#[derive(Debug, Clone)]
pub struct PreparedImage {
    hash: String,
    width: u32,
    height: u32,
    /// (tag, width, height, JPEG bytes), one per `SIZES` entry.
    sizes: Vec<(u32, u32, u32, Vec<u8>)>,
}

/// Dimensions of a `(width, height)` image scaled so its longest side is `target`, aspect kept
/// and never enlarged; each side is at least one pixel.
pub fn fit(width: u32, height: u32, target: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= target || longest == 0 {
        return (width, height);
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(target) + u64::from(longest) / 2) / u64::from(longest)).max(1) as u32;
    (scale(width), scale(height))
}

fn not_an_image(field: &str) -> Error {
    Error::field(field, "image_invalid", "Файл не является изображением JPEG, PNG или WebP", "The file is not a JPEG, PNG or WebP image")
}

fn image_too_large(field: &str) -> Error {
    let mp = MAX_PIXELS / 1_000_000;
    Error::field(
        field,
        "image_too_large",
        format!("Изображение больше {mp} мегапикселей или {MAX_SIDE} точек по стороне; уменьшите его"),
        format!("The image is larger than {mp} megapixels or {MAX_SIDE} pixels a side; make it smaller"),
    )
}

/// Decodes an uploaded JPEG, PNG or WebP under the pixel budget: the dimensions are read from
/// the header and checked first, then the decoder runs under `image::Limits` (sides and
/// allocation), so no file makes it allocate more than `MAX_ALLOC`. `field` names the form
/// field in errors. CPU-heavy: run it through `App::heavy`.
pub fn decode_upload(bytes: &[u8], field: &str) -> Result<image::DynamicImage> {
    let reader = || image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|_| not_an_image(field));
    let (width, height) = reader()?.into_dimensions().map_err(|_| not_an_image(field))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(image_too_large(field));
    }
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => image_too_large(field),
        _ => not_an_image(field),
    })
}

/// Checks the size cap, decodes the upload and renders the stored sizes. CPU-heavy: call it
/// off the async runtime (`App::heavy`) and before opening the write transaction.
pub fn prepare_image(bytes: &[u8], limit_bytes: usize) -> Result<PreparedImage> {
    if bytes.len() > limit_bytes {
        return Err(Error::PayloadTooLarge);
    }
    if bytes.is_empty() {
        return Err(Error::field("image", "required", "Выберите файл", "Choose a file"));
    }
    let (width, height, largest) = {
        let img = decode_upload(bytes, "image")?;
        let (width, height) = (img.width(), img.height());
        let (w, h) = fit(width, height, SIZES[SIZES.len() - 1]);
        // One shrink of the original (area sampling, no full-size float buffer); the original
        // is dropped before the smaller sizes are made from it.
        let largest = if (w, h) == (width, height) { img } else { img.thumbnail_exact(w, h) };
        (width, height, largest)
    };
    let mut sizes = Vec::with_capacity(SIZES.len());
    for tag in SIZES {
        let (w, h) = fit(width, height, tag);
        let resized = if (w, h) == (largest.width(), largest.height()) {
            largest.clone()
        } else {
            largest.resize_exact(w, h, image::imageops::FilterType::Triangle)
        };
        let rgb = image::DynamicImage::ImageRgb8(resized.to_rgb8());
        let mut out = Vec::new();
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)).map_err(|_| not_an_image("image"))?;
        sizes.push((tag, w, h, out));
    }
    let hash = hex::encode(&Sha256::digest(bytes)[..16]);
    Ok(PreparedImage { hash, width, height, sizes })
}

/// A company logo as stored: the upload decoded under the pixel budget, shrunk to at most
/// `LOGO_SIDE` px and re-encoded as PNG (transparency kept), never the uploaded bytes.
/// Returns (MIME type, bytes). CPU-heavy: run it through `App::heavy`.
pub fn prepare_logo(bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    if bytes.is_empty() {
        return Err(Error::field("logo", "required", "Выберите файл", "Choose a file"));
    }
    let img = decode_upload(bytes, "logo")?;
    let (w, h) = fit(img.width(), img.height(), LOGO_SIDE);
    let small = if (w, h) == (img.width(), img.height()) { img } else { img.thumbnail_exact(w, h) };
    let rgba = image::DynamicImage::ImageRgba8(small.to_rgba8());
    let mut out = Vec::new();
    rgba.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).map_err(|_| not_an_image("logo"))?;
    Ok(("image/png".to_string(), out))
}

/// Whether `actor` may add an image to `product`: checked before an upload's body is read, so
/// a refused upload costs no bytes. A missing or foreign product is a 404.
pub fn may_add(tx: &impl Read, actor: &Actor, product: ProductId) -> Result<()> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    super::query::product(tx, actor.company, product)?;
    Ok(())
}

/// One image of a company's product; another company's is as missing as an unknown one.
pub fn image(tx: &impl Read, company: CompanyId, product: ProductId, image: ImageId) -> Result<ImageMeta> {
    tx.get(IMAGES, (company.0, product.0, image.0))?.ok_or(Error::NotFound)
}

/// Stores a prepared image as the product's last one.
pub fn add_image(tx: &mut WriteTx, actor: &Actor, now: Ts, product: ProductId, image: PreparedImage) -> Result<ImageId> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    let c = actor.company.0;
    let p = tx.get(PRODUCTS, (c, product.0))?.ok_or(Error::NotFound)?;
    let existing = tx.list(IMAGES, (c, product.0, 0), (c, product.0, u64::MAX), usize::MAX)?;
    if existing.len() >= MAX_PER_PRODUCT {
        return Err(Error::field(
            "image",
            "images_too_many",
            format!("У товара уже {MAX_PER_PRODUCT} изображений; удалите лишние"),
            format!("The product already has {MAX_PER_PRODUCT} images; delete some first"),
        ));
    }
    let id = ImageId(tx.next_id()?);
    let meta = ImageMeta {
        id,
        product,
        order: existing.len() as u32,
        hash: image.hash,
        width: image.width,
        height: image.height,
        sizes: image.sizes.iter().map(|(tag, w, h, b)| (*tag, *w, *h, b.len() as u32)).collect(),
        created: now,
    };
    for (tag, _, _, bytes) in image.sizes {
        tx.insert(IMAGE_BYTES, (c, id.0, u64::from(tag)), &ImageBytes { bytes })?;
    }
    tx.insert(IMAGES, (c, product.0, id.0), &meta)?;
    audit::record(tx, actor.company, actor, now, "product.image.add", format!("product:{product}"), format!("{} image:{id}", p.name))?;
    Ok(id)
}

/// Removes an image and all its sizes; the remaining images close the gap in the order.
pub fn remove_image(tx: &mut WriteTx, actor: &Actor, now: Ts, product: ProductId, image: ImageId) -> Result<()> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    let c = actor.company.0;
    let meta = tx.get(IMAGES, (c, product.0, image.0))?.ok_or(Error::NotFound)?;
    for (tag, ..) in &meta.sizes {
        tx.remove(IMAGE_BYTES, (c, image.0, u64::from(*tag)))?;
    }
    tx.remove(IMAGES, (c, product.0, image.0))?;
    renumber(tx, actor.company, product, None)?;
    audit::record(tx, actor.company, actor, now, "product.image.remove", format!("product:{product}"), format!("image:{image}"))?;
    Ok(())
}

/// Moves an image to `position` (0 = main image; larger values mean last).
pub fn move_image(tx: &mut WriteTx, actor: &Actor, now: Ts, product: ProductId, image: ImageId, position: u32) -> Result<()> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    let c = actor.company.0;
    tx.get(IMAGES, (c, product.0, image.0))?.ok_or(Error::NotFound)?;
    renumber(tx, actor.company, product, Some((image, position)))?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "product.image.move",
        format!("product:{product}"),
        format!("image:{image} → {position}"),
    )?;
    Ok(())
}

/// Rewrites the order of a product's images as 0..n, optionally moving one to a position.
fn renumber(tx: &mut WriteTx, company: CompanyId, product: ProductId, moved: Option<(ImageId, u32)>) -> Result<(), StorageError> {
    let c = company.0;
    let mut list: Vec<ImageMeta> =
        tx.list(IMAGES, (c, product.0, 0), (c, product.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, m)| m).collect();
    list.sort_by_key(|m| (m.order, m.id));
    if let Some((id, position)) = moved
        && let Some(from) = list.iter().position(|m| m.id == id)
    {
        let m = list.remove(from);
        list.insert((position as usize).min(list.len()), m);
    }
    for (i, mut m) in list.into_iter().enumerate() {
        if m.order != i as u32 {
            m.order = i as u32;
            tx.insert(IMAGES, (c, product.0, m.id.0), &m)?;
        }
    }
    Ok(())
}

/// A product's images in display order.
pub fn images(tx: &ReadTx, company: CompanyId, product: ProductId) -> Result<Vec<ImageMeta>, StorageError> {
    let c = company.0;
    let mut list: Vec<ImageMeta> =
        tx.list(IMAGES, (c, product.0, 0), (c, product.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, m)| m).collect();
    list.sort_by_key(|m| (m.order, m.id));
    Ok(list)
}

/// One size of one image of a product: its metadata (for the ETag) and JPEG bytes.
pub fn image_bytes(
    tx: &ReadTx,
    company: CompanyId,
    product: ProductId,
    image: ImageId,
    size: u32,
) -> Result<Option<(ImageMeta, Vec<u8>)>, StorageError> {
    let c = company.0;
    let Some(meta) = tx.get(IMAGES, (c, product.0, image.0))? else { return Ok(None) };
    Ok(tx.get(IMAGE_BYTES, (c, image.0, u64::from(size)))?.map(|b| (meta, b.bytes)))
}

/// Removes every image of a product (used when the product itself is deleted).
pub fn remove_all(tx: &mut WriteTx, company: CompanyId, product: ProductId) -> Result<(), StorageError> {
    let c = company.0;
    for ((_, _, id), meta) in tx.list(IMAGES, (c, product.0, 0), (c, product.0, u64::MAX), usize::MAX)? {
        for (tag, ..) in &meta.sizes {
            tx.remove(IMAGE_BYTES, (c, id, u64::from(*tag)))?;
        }
        tx.remove(IMAGES, (c, product.0, id))?;
    }
    Ok(())
}

/// Every metadata row has its product and all its sizes; every bytes row belongs to a
/// metadata row.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut expected_bytes = 0u64;
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        for ((_, pid, id), meta) in tx.list(IMAGES, (cid, 0, 0), (cid, u64::MAX, u64::MAX), usize::MAX)? {
            if tx.get(PRODUCTS, (cid, pid))?.is_none() {
                problems.push(format!("image {cid}/{id} belongs to missing product {pid}"));
            }
            for (tag, ..) in &meta.sizes {
                expected_bytes += 1;
                if tx.get(IMAGE_BYTES, (cid, id, u64::from(*tag)))?.is_none() {
                    problems.push(format!("image {cid}/{id} has no bytes of size {tag}"));
                }
            }
        }
    }
    let stored = tx.len(IMAGE_BYTES)?;
    if stored != expected_bytes {
        problems.push(format!("image bytes table has {stored} rows for {expected_bytes} image sizes"));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: (u32, u32, u32), expected: (u32, u32)) {
        assert_eq!(fit(input.0, input.1, input.2), expected, "fit{input:?}");
    }

    #[test]
    fn thumbnails_keep_aspect_and_never_upscale() {
        check((2000, 1000, 1024), (1024, 512));
        check((1000, 2000, 320), (160, 320));
        check((640, 480, 96), (96, 72));
        check((50, 40, 96), (50, 40));
        check((1024, 10, 1024), (1024, 10));
        check((4000, 3, 96), (96, 1));
        check((333, 333, 320), (320, 320));
    }

    #[test]
    fn prepared_sizes_have_the_fitted_dimensions() {
        let img = image::RgbaImage::from_pixel(1500, 600, image::Rgba([200, 10, 10, 255]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let p = prepare_image(&png, 5 << 20).unwrap();
        let dims: Vec<_> = p.sizes.iter().map(|(t, w, h, _)| (*t, *w, *h)).collect();
        assert_eq!(dims, vec![(96, 96, 38), (320, 320, 128), (1024, 1024, 410)]);
        let decoded = image::load_from_memory(&p.sizes[1].3).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 128));
        assert!(matches!(prepare_image(b"not an image at all", 5 << 20), Err(Error::Validation(_))));
        assert!(matches!(prepare_image(&png, 10), Err(Error::PayloadTooLarge)));
    }

    /// A PNG of a header claiming `width` × `height` RGB pixels and `idat` as its data: a file
    /// whose header lies, built without encoding any pixels.
    pub(crate) fn png_header_only(width: u32, height: u32, idat: &[u8]) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut crc = !0u32;
            for b in bytes {
                crc ^= u32::from(*b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
                }
            }
            !crc
        }
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let body = [kind, data].concat();
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
        }
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let ihdr = [width.to_be_bytes().as_slice(), height.to_be_bytes().as_slice(), &[8, 2, 0, 0, 0]].concat();
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", idat);
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn code(r: Result<impl std::fmt::Debug>) -> &'static str {
        match r {
            Err(e) => e.fields().first().map_or(e.code(), |f| f.code),
            Ok(v) => panic!("expected a refusal, got {v:?}"),
        }
    }

    #[test]
    fn over_budget_images_are_refused_before_decoding() {
        // A real 48 Mpx PNG that compresses to little (the was 12,000 × 12,000; the
        // integration test sends that size as a header).
        let big = image::GrayImage::new(8_000, 6_000);
        let mut png = Vec::new();
        image::DynamicImage::ImageLuma8(big).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert!(png.len() < 1 << 20, "{} bytes", png.len());
        let started = std::time::Instant::now();
        assert_eq!(code(prepare_image(&png, 5 << 20).map(|_| ())), "image_too_large");
        assert_eq!(code(prepare_logo(&png)), "image_too_large");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "refused from the header: {:?}", started.elapsed());
        // A header that claims 9,000 × 9,000 over a few bytes of data, and one within the
        // budget whose data is missing: neither decodes, neither allocates its claim.
        let empty_zlib = [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(code(prepare_image(&png_header_only(9_000, 9_000, &empty_zlib), 5 << 20).map(|_| ())), "image_too_large");
        assert_eq!(code(prepare_image(&png_header_only(12_001, 1, &empty_zlib), 5 << 20).map(|_| ())), "image_too_large");
        assert_eq!(code(prepare_image(&png_header_only(6_000, 6_000, &empty_zlib), 5 << 20).map(|_| ())), "image_invalid");
    }

    #[test]
    fn logos_are_decoded_shrunk_and_re_encoded() {
        let img = image::RgbaImage::from_pixel(1500, 600, image::Rgba([10, 200, 10, 128]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let (mime, bytes) = prepare_logo(&png).unwrap();
        assert_eq!(mime, "image/png");
        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (512, 205));
        assert_eq!(back.to_rgba8().get_pixel(10, 10).0[3], 128, "transparency kept");
        assert_eq!(code(prepare_logo(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")), "image_invalid");
        assert_eq!(code(prepare_logo(b"\x89PNG\r\n\x1a\n-logo-bytes")), "image_invalid");
        assert_eq!(code(prepare_logo(b"")), "required");
    }
}
