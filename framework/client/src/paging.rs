//! Auto-pagination and batch chunking, over any way of sending a request.

use std::future::Future;
use std::ops::Range;

use ferrocrud_shared::{CrudOptions, FindResponse};

use crate::error::ClientError;

/// Reads every row of a list route, as `@eicrud/client` does: when the
/// server's page (`limit` in the answer) is smaller than the limit asked for
/// (or none was asked for) and more rows match, asks for the next ones with
/// `offset` until `total`, or the asked limit, is read.
///
/// Unlike eicrud, pages start from `options.offset`, the last page asks for
/// no more rows than still wanted, and an empty page ends the reading (rows
/// deleted meanwhile).
pub(crate) async fn follow_pages<R, F, Fut>(
    options: &CrudOptions,
    mut fetch: F,
) -> Result<Vec<R>, ClientError>
where
    F: FnMut(CrudOptions) -> Fut,
    Fut: Future<Output = Result<FindResponse<R>, ClientError>>,
{
    let first = fetch(options.clone()).await?;
    let mut rows = first.data;
    let asked = options
        .limit
        .and_then(|limit| u64::try_from(limit).ok())
        .filter(|limit| *limit > 0);
    let (Some(total), Some(page)) = (first.total, first.limit) else {
        return Ok(rows);
    };
    if page == 0 || asked.is_some_and(|asked| asked <= page) {
        return Ok(rows);
    }
    let start = options
        .offset
        .and_then(|offset| u64::try_from(offset).ok())
        .unwrap_or(0);
    let wanted = total.saturating_sub(start).min(asked.unwrap_or(u64::MAX));
    while (rows.len() as u64) < wanted {
        let got = rows.len() as u64;
        let next = CrudOptions {
            limit: Some(to_i64(page.min(wanted - got))),
            offset: Some(to_i64(start + got)),
            ..options.clone()
        };
        let more = fetch(next).await?;
        if more.data.is_empty() {
            break;
        }
        rows.extend(more.data);
    }
    if let Some(asked) = asked.and_then(|asked| usize::try_from(asked).ok()) {
        rows.truncate(asked);
    }
    Ok(rows)
}

/// Runs `send` over `0..len` in chunks of `batch_size` (0: one chunk), one
/// after the other, and answers the answers in order.
///
/// A 400 with code 12 or 13 announcing a `maxBatchSize` smaller than the
/// refused chunk shrinks the chunks, and the refused chunk is sent again;
/// chunks already accepted are not (eicrud starts the whole call over).
pub(crate) async fn in_chunks<R, F, Fut>(
    batch_size: usize,
    len: usize,
    mut send: F,
) -> Result<Vec<R>, ClientError>
where
    F: FnMut(Range<usize>) -> Fut,
    Fut: Future<Output = Result<R, ClientError>>,
{
    let mut size = if batch_size == 0 { len } else { batch_size };
    let mut answers = Vec::new();
    let mut start = 0;
    while start < len {
        let end = len.min(start + size);
        match send(start..end).await {
            Ok(answer) => {
                answers.push(answer);
                start = end;
            }
            Err(err) => match err.api().and_then(|api| api.max_batch_size()) {
                Some(max) if max > 0 && max < end - start => size = max,
                _ => return Err(err),
            },
        }
    }
    Ok(answers)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::future::ready;

    use super::*;
    use crate::error::ApiError;

    /// Runs a future that never waits.
    fn run<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the future waited"),
        }
    }

    /// A server holding rows `0..total` with pages of at most `max`.
    fn server(total: u64, max: u64) -> impl Fn(&CrudOptions) -> FindResponse<u64> {
        move |options| {
            let offset = options.offset.map_or(0, |o| o as u64);
            let limit = options.limit.map_or(max, |l| (l as u64).min(max));
            let data = (offset..total.min(offset + limit)).collect();
            FindResponse {
                data,
                total: Some(total),
                limit: Some(limit),
            }
        }
    }

    fn read_all(total: u64, max: u64, options: CrudOptions) -> (Vec<u64>, Vec<CrudOptions>) {
        let asked = RefCell::new(Vec::new());
        let answer = server(total, max);
        let rows = run(follow_pages(&options, |page| {
            let page_answer = answer(&page);
            asked.borrow_mut().push(page);
            ready(Ok(page_answer))
        }))
        .expect("rows");
        (rows, asked.into_inner())
    }

    fn opts(limit: Option<i64>, offset: Option<i64>) -> CrudOptions {
        CrudOptions {
            limit,
            offset,
            ..Default::default()
        }
    }

    #[test]
    fn reads_every_page() {
        let (rows, asked) = read_all(7, 3, CrudOptions::default());
        assert_eq!(rows, (0..7).collect::<Vec<_>>());
        assert_eq!(
            asked,
            [
                opts(None, None),
                opts(Some(3), Some(3)),
                opts(Some(1), Some(6))
            ]
        );
    }

    #[test]
    fn stops_at_the_asked_limit() {
        let (rows, asked) = read_all(100, 3, opts(Some(5), None));
        assert_eq!(rows, [0, 1, 2, 3, 4]);
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn starts_at_the_asked_offset() {
        let (rows, _) = read_all(7, 3, opts(None, Some(2)));
        assert_eq!(rows, [2, 3, 4, 5, 6]);
        let (rows, _) = read_all(7, 3, opts(Some(4), Some(2)));
        assert_eq!(rows, [2, 3, 4, 5]);
    }

    #[test]
    fn an_offset_past_the_end_reads_one_page() {
        let (rows, asked) = read_all(3, 2, opts(None, Some(10)));
        assert!(rows.is_empty());
        assert_eq!(asked.len(), 1);
    }

    #[test]
    fn answers_without_total_or_limit_are_one_page() {
        let rows = run(follow_pages(&CrudOptions::default(), |_| {
            ready(Ok(FindResponse {
                data: vec![1, 2],
                total: None,
                limit: None,
            }))
        }))
        .expect("rows");
        assert_eq!(rows, [1, 2]);
    }

    fn too_big(max: usize) -> ClientError {
        let body = serde_json::json!({
            "message": "Max batch size exceeded", "statusCode": 400, "code": 13,
            "data": {"maxBatchSize": max}
        });
        ApiError::from_answer(400, body.to_string().as_bytes()).into()
    }

    #[test]
    fn chunks_shrink_to_the_announced_size() {
        let sent = RefCell::new(Vec::new());
        let answers = run(in_chunks(4, 10, |range: Range<usize>| {
            sent.borrow_mut().push(range.clone());
            ready(if range.len() > 3 {
                Err(too_big(3))
            } else {
                Ok(range.len())
            })
        }))
        .expect("answers");
        assert_eq!(answers, [3, 3, 3, 1]);
        assert_eq!(sent.into_inner(), [0..4, 0..3, 3..6, 6..9, 9..10]);
    }

    #[test]
    fn zero_is_one_chunk_and_nothing_is_no_chunk() {
        let answers =
            run(in_chunks(0, 5, |range: Range<usize>| ready(Ok(range)))).expect("answers");
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0], 0..5);
        let answers =
            run(in_chunks(3, 0, |range: Range<usize>| ready(Ok(range)))).expect("answers");
        assert!(answers.is_empty());
    }
}
